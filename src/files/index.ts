// Files on servers: read-file and write-file over the pooled SFTP session, transfer-file as a durable, resumable,
// verified job between a server and DECKHAND_FILES_ROOT on deckhand's machine.
import type { Config } from '../config.js';
import type { Feature, JobKernel } from '../jobs/kernel.js';
import type { Inventory } from '../servers/index.js';
import type { SshPool } from '../ssh/pool.js';
import { FileService } from './service.js';
import { TRANSFER_JOB, TransferHandler } from './transfer-handler.js';

export { FileService, type ReadInput, type TransferInput, type WriteInput } from './service.js';
export { TRANSFER_JOB, type TransferParams } from './transfer-handler.js';
export type { RemoteWriteSite } from './where.js';
// What read-file and write-file answer, for the tools that format it.
export type { DirectoryPage, FilePage } from '../ssh/file-read.js';
export type { WriteFileResult } from '../ssh/file-write.js';

export function createFilesFeature(o: {
  config: Config;
  kernel: JobKernel;
  inventory: Inventory;
  pool: SshPool;
}): Feature<FileService> {
  const { config, kernel, inventory, pool } = o;
  return {
    handlers: { [TRANSFER_JOB]: new TransferHandler({ inventory, pool, filesRoot: config.files.root }) },
    service: new FileService({ engine: kernel.engine, inventory, pool, config }),
  };
}
