import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Config } from '../config.js';
import { DeckhandError, ValidationError } from '../errors.js';
import type { JobEngine } from '../jobs/engine.js';
import { waitBriefly } from '../jobs/kit/waits.js';
import { isTerminal, type Job } from '../jobs/types.js';
import type { Inventory, ServerRecord } from '../servers/index.js';
import { readFile, type DirectoryPage, type FilePage } from '../ssh/file-read.js';
import { writeFile, type WriteFileResult } from '../ssh/file-write.js';
import { confineLocalPath } from '../ssh/local-path.js';
import type { SftpSession } from '../ssh/sftp.js';
import type { Lease, SshPool } from '../ssh/pool.js';
import { resolveOwner } from './owner.js';
import { TRANSFER_JOB, type TransferParams } from './transfer-handler.js';
import { localExists, remoteWriteSite, type RemoteWriteSite } from './where.js';

export interface ReadInput {
  readonly server: string;
  readonly path: string;
  readonly offset?: number | undefined;
  readonly length?: number | undefined;
  readonly encoding?: 'utf8' | 'base64' | undefined;
  readonly cursor?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface WriteInput {
  readonly server: string;
  readonly path: string;
  /** Exactly one of content (UTF-8 text) and base64 (any bytes). */
  readonly content?: string | undefined;
  readonly base64?: string | undefined;
  /** Permission bits as octal text: "640", "0640". */
  readonly mode?: string | undefined;
  /** "user", "user:group", "uid:gid": names are looked up on the server. */
  readonly owner?: string | undefined;
  readonly if_sha256?: string | undefined;
  readonly backup?: boolean | undefined;
  readonly create_dirs?: boolean | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Where policy judged the write would land (whereWrite): the write is refused if that changed since. */
  readonly admitted?: RemoteWriteSite | undefined;
}

export interface TransferInput {
  readonly server: string;
  readonly direction: 'upload' | 'download';
  /** Inside DECKHAND_FILES_ROOT (relative paths are taken from it). */
  readonly local_path: string;
  readonly remote_path: string;
  readonly timeout_s?: number | undefined;
}

/** Connection errors after which a read is simply tried again on a fresh connection (a read changes nothing). */
const RETRY_READ = new Set(['connection_lost', 'channel_failed', 'sftp_unavailable']);

/** A transfer may take long; it reports progress and resumes, so it gets a day unless told otherwise. */
const TRANSFER_TIMEOUT_S = 24 * 3600;

/**
 * read-file and write-file over the pooled connection's SFTP session, and transfer-file as a durable job
 * (transfer-handler.ts). Remote paths are absolute; local ones are confined to DECKHAND_FILES_ROOT.
 */
export class FileService {
  constructor(
    private readonly o: {
      readonly engine: JobEngine;
      readonly inventory: Inventory;
      readonly pool: SshPool;
      readonly config: Pick<Config, 'files'>;
    },
  ) {}

  read(input: ReadInput): Promise<FilePage | DirectoryPage> {
    absolute(input.path);
    return this.withSftp(input.server, input.signal, true, (sftp, server) =>
      readFile(sftp, input.path, {
        offset: input.offset,
        length: input.length,
        encoding: input.encoding,
        cursor: input.cursor,
        loginUser: server.user,
        signal: input.signal,
      }),
    );
  }

  /** Where a write-file of `path` would land and whether it replaces a file, for policy to judge first. */
  whereWrite(input: Pick<WriteInput, 'server' | 'path' | 'signal'>): Promise<RemoteWriteSite> {
    absolute(input.path);
    return this.withSftp(input.server, input.signal, true, (sftp) => remoteWriteSite(sftp, input.path, true));
  }

  /** The same for an upload (which replaces a symlink at the path rather than writing through it). */
  whereUpload(input: Pick<TransferInput, 'server' | 'remote_path'>, signal?: AbortSignal): Promise<RemoteWriteSite> {
    absolute(input.remote_path);
    return this.withSftp(input.server, signal, true, (sftp) => remoteWriteSite(sftp, input.remote_path, false));
  }

  /** The confined local path a download would write, and whether a file is there already. */
  async whereDownload(input: Pick<TransferInput, 'local_path'>): Promise<{ local: string; exists: boolean }> {
    const local = await confineLocalPath(this.o.config.files.root, input.local_path);
    return { local, exists: await localExists(local) };
  }

  /** Parses what the caller gave (content, mode) without touching the server: bad arguments fail before the gate. */
  checkWrite(input: WriteInput): { bytes: number; sha256: string; mode: number | undefined } {
    absolute(input.path);
    const content = contentOf(input);
    return {
      bytes: content.length,
      sha256: createHash('sha256').update(content).digest('hex'),
      mode: input.mode === undefined ? undefined : parseMode(input.mode),
    };
  }

  async write(input: WriteInput): Promise<WriteFileResult> {
    absolute(input.path);
    const content = contentOf(input);
    const mode = input.mode === undefined ? undefined : parseMode(input.mode);
    return this.withSftp(input.server, input.signal, false, async (sftp, server, lease) => {
      if (input.admitted) await stillWhereAdmitted(sftp, input.admitted);
      return writeFile(sftp, input.path, content, {
        mode,
        owner: input.owner === undefined ? undefined : await resolveOwner(lease.client, input.owner),
        ifSha256: input.if_sha256,
        backup: input.backup,
        createDirs: input.create_dirs,
        loginUser: server.user,
      });
    });
  }

  /**
   * Queues a transfer, or joins the one already copying the same file the same way. The local path is confined
   * now, so a path outside DECKHAND_FILES_ROOT is refused before any job exists.
   */
  async submitTransfer(input: TransferInput, id?: string): Promise<{ job: Job; joined: boolean }> {
    absolute(input.remote_path);
    const local = await confineLocalPath(this.o.config.files.root, input.local_path);
    const server = await this.o.inventory.get(input.server);
    const params: TransferParams = { direction: input.direction, local_path: local, remote_path: input.remote_path };
    const active = (await this.o.engine.store.active()).filter((j) => j.type === TRANSFER_JOB && !isTerminal(j.status));
    const same = active.find((j) => j.server === server.name && sameParams(j.params, params));
    if (same) return { job: same, joined: true };
    // Two transfers into the same destination would write one partial file from two sources.
    const clash = active.find((j) => {
      const p = j.params as unknown as TransferParams;
      return p.local_path === local || (j.server === server.name && p.remote_path === input.remote_path);
    });
    if (clash) {
      throw new DeckhandError(
        'busy',
        `Job ${clash.id} is already transferring ${local === (clash.params as unknown as TransferParams).local_path ? local : `${server.name}:${input.remote_path}`}.`,
        {
          hint: `Wait for it (get-job-status {"job_id": "${clash.id}", "wait_s": 20}) or cancel it with cancel-job, then call again.`,
        },
      );
    }
    const job = await this.o.engine.submit({
      ...(id ? { id } : {}),
      type: TRANSFER_JOB,
      server: server.name,
      params: { ...params },
      timeout_s: input.timeout_s ?? TRANSFER_TIMEOUT_S,
    });
    return { job, joined: false };
  }

  wait(job: Job, ms: number, signal?: AbortSignal): Promise<Job> {
    return waitBriefly(this.o.engine, job, ms, signal);
  }

  /** Runs `fn` on the server's pooled SFTP session; a read that meets a dropped connection is tried once more. */
  private async withSftp<T>(
    name: string,
    signal: AbortSignal | undefined,
    retry: boolean,
    fn: (sftp: SftpSession, server: ServerRecord, lease: Lease) => Promise<T>,
  ): Promise<T> {
    const server = await this.o.inventory.get(name);
    for (let attempt = 1; ; attempt++) {
      const lease = await this.o.pool.acquire(server, signal);
      try {
        return await fn(await lease.sftp(), server, lease);
      } catch (err) {
        const code = err instanceof DeckhandError ? err.code : undefined;
        if (code && RETRY_READ.has(code)) lease.discard();
        if (!retry || attempt > 1 || !code || !RETRY_READ.has(code) || signal?.aborted) throw err;
      } finally {
        lease.release();
      }
    }
  }
}

function absolute(p: string): void {
  if (!posix.isAbsolute(p)) {
    throw new ValidationError(
      `The remote path must be absolute, got "${p}".`,
      'Start it with "/" (e.g. /etc/nginx/nginx.conf).',
    );
  }
}

/**
 * Policy judged the write by where it lands and whether it replaces a file: a file that appeared (or went) or a
 * symlink changed since then makes it another write, refused rather than done unjudged. (Between this look and the
 * rename a moment remains; SFTP has no way to close it.)
 */
async function stillWhereAdmitted(sftp: SftpSession, admitted: RemoteWriteSite): Promise<void> {
  const now = await remoteWriteSite(sftp, admitted.path, true);
  if (now.target === admitted.target && now.exists === admitted.exists) return;
  const was = `${admitted.exists ? 'an existing file' : 'no file'} at ${admitted.target}`;
  const is = `${now.exists ? 'an existing file' : 'no file'} at ${now.target}`;
  throw new DeckhandError(
    'write_conflict',
    `${admitted.path} changed while the write was being approved: policy judged ${was}, now there is ${is}. Nothing was written.`,
    { hint: 'Call write-file again: it is judged anew for what is there now.' },
  );
}

function contentOf(input: WriteInput): Buffer {
  if ((input.content === undefined) === (input.base64 === undefined)) {
    throw new ValidationError(
      'write-file takes exactly one of content (text) and base64 (any bytes).',
      'Pass content for text, base64 for binary data.',
    );
  }
  if (input.content !== undefined) return Buffer.from(input.content, 'utf8');
  const b64 = (input.base64 as string).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    throw new ValidationError(
      'base64 is not valid base64 (A-Z a-z 0-9 + / with = padding).',
      'Encode the bytes with standard base64.',
    );
  }
  return Buffer.from(b64, 'base64');
}

function parseMode(text: string): number {
  const m = /^(?:0o?)?([0-7]{3,4})$/.exec(text.trim());
  if (!m) {
    throw new ValidationError(`mode must be octal permission bits like "644" or "0640", got "${text}".`);
  }
  return parseInt(m[1] as string, 8);
}

function sameParams(a: Readonly<Record<string, unknown>>, b: TransferParams): boolean {
  return a.direction === b.direction && a.local_path === b.local_path && a.remote_path === b.remote_path;
}
