import type { AppService } from '../../../apps/index.js';
import type { Config } from '../../../config.js';
import type { FileService } from '../../../files/index.js';
import type { JobChanges } from '../../../jobs/changes.js';
import type { JobService } from '../../../jobs/service.js';
import type { ProvisioningService } from '../../../provisioning/index.js';
import type { RemoteBashService } from '../../../remote-bash/index.js';
import type { ServerService } from '../../../servers/index.js';
import type { SetupService } from '../../../setup/index.js';

/**
 * Everything tool handlers may use: feature services and the kernel's job service, never the SSH pool or a store.
 * Each tool takes only the part it uses (`Pick<ToolDeps, ...>`).
 */
export interface ToolDeps {
  readonly config: Config;
  /** Job changes for MCP sessions (logging, resource updates, progress); tools report what only they know, e.g. promotion. */
  readonly changes: JobChanges;
  readonly jobs: JobService;
  readonly remoteBash: RemoteBashService;
  readonly servers: ServerService;
  readonly provisioning: ProvisioningService;
  readonly setup: SetupService;
  readonly apps: AppService;
  readonly files: FileService;
}
