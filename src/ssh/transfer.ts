import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import type { Client } from 'ssh2';
import { DeckhandError } from '../errors.js';
import { remoteSha256, type RemoteHash } from './remote-hash.js';
import { followRemoteSha256 } from './remote-hash-follow.js';
import { sessionFor, type SftpSession } from './sftp.js';
import { fileError, notRegularFile } from './sftp-errors.js';
import { DEFAULT_PIPELINE, pipelinedRead, pipelinedWrite, resumeSlack, type PipelineOptions } from './sftp-pipeline.js';

export interface TransferProgress {
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Where this attempt started (0 for a fresh transfer). */
  readonly resumedFrom: number;
  /** Bytes per second over this attempt. */
  readonly rate: number;
  /** Seconds left at that rate; undefined until there is a rate. */
  readonly etaSeconds: number | undefined;
}

export interface TransferOptions {
  readonly direction: 'upload' | 'download';
  /** Already confined by the caller (confineLocalPath). */
  readonly localPath: string;
  readonly remotePath: string;
  /** Called at most every `progressEveryMs` (default 250) and once at the end of the copy. */
  readonly onProgress?: ((p: TransferProgress) => void) | undefined;
  readonly progressEveryMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly pipeline?: PipelineOptions | undefined;
  readonly loginUser?: string | undefined;
}

export interface TransferResult {
  readonly direction: 'upload' | 'download';
  readonly bytesTotal: number;
  /** Bytes copied by this call (less than bytesTotal when it resumed). */
  readonly bytesCopied: number;
  readonly resumedFrom: number;
  readonly sha256: string;
  /** How the remote side's sha256 was taken (see remote-hash.ts). */
  readonly remoteHashVia: RemoteHash['via'];
  readonly durationMs: number;
}

/** The destination grows under this name and is renamed into place only once verified. */
export function partialPath(dest: string): string {
  return `${dest}.deckhand-partial`;
}

/**
 * Copies a file between deckhand's machine and a server over SFTP. The destination is written as
 * `<dest>.deckhand-partial`; after a dropped connection, calling again (on a fresh connection) resumes from the
 * bytes already there, less the pipeline's window, which may hold holes. At the end both sides' sha256 must match
 * or the partial file is deleted (the next call starts over); then it is renamed over the destination.
 */
export async function transfer(on: Client | SftpSession, o: TransferOptions): Promise<TransferResult> {
  const started = Date.now();
  const pipe = { ...(o.pipeline ?? DEFAULT_PIPELINE), signal: o.signal };
  const { sftp, done } = await sessionFor(on, o.loginUser);
  const client = sftp.client;
  try {
    // The local side is hashed as the bytes pass (after the bytes resumed from), never read a second time.
    const hash = createHash('sha256');
    const copy =
      o.direction === 'upload'
        ? await upload(client, sftp, o, pipe, started, hash)
        : await download(client, sftp, o, pipe, started, hash);
    const remote = await copy.remoteHash();
    const local = hash.digest('hex');
    if (local !== remote.sha256) {
      await (o.direction === 'upload' ? sftp.unlink(copy.partial) : fs.rm(copy.partial, { force: true })).catch(
        () => undefined,
      );
      throw new DeckhandError(
        'transfer_verify_failed',
        `The ${o.direction} of ${o.localPath} ${o.direction === 'upload' ? '→' : '←'} ${o.remotePath} did not verify: sha256 ${local} here, ${remote.sha256} on the server. The partial copy was deleted.`,
        {
          hint: 'The source changed during the transfer, or the bytes resumed from did not match it. Run the transfer again: it starts over.',
        },
      );
    }
    if (o.direction === 'upload') await sftp.posixRename(copy.partial, o.remotePath);
    else await fs.rename(copy.partial, o.localPath);
    return {
      direction: o.direction,
      bytesTotal: copy.total,
      bytesCopied: copy.total - copy.start,
      resumedFrom: copy.start,
      sha256: local,
      remoteHashVia: remote.via,
      durationMs: Date.now() - started,
    };
  } finally {
    done();
  }
}

interface Copied {
  readonly total: number;
  readonly start: number;
  readonly partial: string;
  /** The remote side's sha256: of the uploaded partial file, or of the downloaded source. */
  remoteHash(): Promise<RemoteHash>;
}

async function upload(
  client: Client,
  sftp: SftpSession,
  o: TransferOptions,
  pipe: PipelineOptions,
  t0: number,
  hash: Hash,
): Promise<Copied> {
  const st = await fs.stat(o.localPath).catch((cause: unknown) => {
    throw localError(cause, o.localPath);
  });
  if (!st.isFile()) throw notRegularFile(o.localPath, st.isDirectory() ? 'directory' : 'special file');
  const total = st.size;
  const partial = partialPath(o.remotePath);
  const have = (await sftp.statOrUndefined(partial))?.size ?? 0;
  const start = resumeFrom(have, total, pipe);
  await hashLocalPrefix(o.localPath, start, hash, o.signal);
  const handle = await sftp
    .open(partial, start > 0 ? 'r+' : 'w', { mode: st.mode & 0o777 })
    .catch(async (err: unknown) => {
      throw fileError(err, 'upload to', o.remotePath, await sftp.ownerOf(o.remotePath));
    });
  const progress = progressReporter(o, total, start, t0);
  // The server hashes the partial file as its written prefix grows (remote-hash-follow.ts); a server that cannot is
  // asked for the sha256 of the finished file instead.
  const follower = await followRemoteSha256(client, partial).catch(() => undefined);
  follower?.advance(start);
  let finished = false;
  try {
    const stream = createReadStream(o.localPath, { start, highWaterMark: pipe.chunk, signal: o.signal });
    const source = (async function* () {
      for await (const chunk of stream) {
        hash.update(chunk as Buffer);
        yield chunk as Buffer;
      }
    })();
    const spaceCtx = async () => ({ bytesFree: await sftp.bytesFree(partial), bytesNeeded: total - start });
    const advance = (end: number) => follower?.advance(end);
    await pipelinedWrite(sftp, handle, partial, start, source, pipe, progress.add, advance).catch(
      async (err: unknown) => {
        throw fileError(err, 'upload to', o.remotePath, await spaceCtx().catch(() => ({})));
      },
    );
    await sftp.fsync(handle, partial);
    finished = true;
  } finally {
    if (!finished) follower?.close();
    await sftp.closeHandle(handle, partial).catch(() => undefined);
  }
  progress.done();
  const remoteHash = async (): Promise<RemoteHash> => {
    const followed = await follower?.finish(total).catch(() => undefined);
    return followed ? { sha256: followed, via: 'followed' } : remoteSha256(client, sftp, partial, total, o.signal);
  };
  return { total, start, partial, remoteHash };
}

async function download(
  client: Client,
  sftp: SftpSession,
  o: TransferOptions,
  pipe: PipelineOptions,
  t0: number,
  hash: Hash,
): Promise<Copied> {
  const st = await sftp.stat(o.remotePath);
  if (!st.isFile()) throw notRegularFile(o.remotePath, st.isDirectory() ? 'directory' : 'special file');
  const total = st.size;
  const partial = partialPath(o.localPath);
  const have = (await fs.stat(partial).catch(() => undefined))?.size ?? 0;
  const start = resumeFrom(have, total, pipe);
  const handle = await sftp.open(o.remotePath, 'r').catch(async (err: unknown) => {
    throw fileError(err, 'download', o.remotePath, await sftp.ownerOf(o.remotePath));
  });
  // The server hashes its file while it is being sent, so the check at the end costs no extra wait.
  const remote = remoteSha256(client, sftp, o.remotePath, total, o.signal);
  remote.catch(() => undefined); // awaited by the caller once the copy is done; a failed copy drops it
  const out = await fs.open(partial, start > 0 ? 'r+' : 'w', st.mode & 0o777).catch((cause: unknown) => {
    throw localError(cause, partial);
  });
  const progress = progressReporter(o, total, start, t0);
  try {
    await hashLocalPrefix(partial, start, hash, o.signal);
    await pipelinedRead(sftp, handle, o.remotePath, start, total, pipe, async (data, pos) => {
      hash.update(data);
      await out.write(data, 0, data.length, pos).catch((cause: unknown) => {
        throw localError(cause, partial);
      });
      progress.add(data.length);
    });
    await out.truncate(total);
    await out.sync();
  } finally {
    await out.close().catch(() => undefined);
    await sftp.closeHandle(handle, o.remotePath).catch(() => undefined);
  }
  progress.done();
  return { total, start, partial, remoteHash: () => remote };
}

/** Resume below what is there by the pipeline's window (holes can only be there); start over if it is too long. */
function resumeFrom(have: number, total: number, pipe: PipelineOptions): number {
  if (have > total) return 0;
  const back = Math.max(0, have - resumeSlack(pipe));
  return back - (back % pipe.chunk);
}

function progressReporter(o: TransferOptions, total: number, start: number, t0: number) {
  let done = start;
  let last = 0;
  const every = o.progressEveryMs ?? 250;
  const emit = () => {
    const secs = (Date.now() - t0) / 1000;
    const rate = secs > 0 ? (done - start) / secs : 0;
    o.onProgress?.({
      bytesDone: done,
      bytesTotal: total,
      resumedFrom: start,
      rate,
      etaSeconds: rate > 0 ? (total - done) / rate : undefined,
    });
  };
  return {
    add: (n: number) => {
      done += n;
      if (Date.now() - last >= every) {
        last = Date.now();
        emit();
      }
    },
    done: emit,
  };
}

/** Feeds bytes [0, end) of a local file to the hash: what a resumed transfer does not copy again. */
async function hashLocalPrefix(file: string, end: number, hash: Hash, signal?: AbortSignal): Promise<void> {
  if (end <= 0) return;
  for await (const chunk of createReadStream(file, { start: 0, end: end - 1, highWaterMark: 1024 * 1024, signal })) {
    hash.update(chunk as Buffer);
  }
}

function localError(cause: unknown, p: string): DeckhandError {
  const code = (cause as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    return new DeckhandError('file_not_found', `${p} does not exist on deckhand's machine.`, {
      hint: 'Check the path (relative paths are taken from DECKHAND_FILES_ROOT).',
      cause,
    });
  }
  if (code === 'ENOSPC') {
    return new DeckhandError('no_space_left', `No space left on deckhand's machine to write ${p}.`, {
      hint: 'Free space there (or point DECKHAND_FILES_ROOT at a larger disk) and run the transfer again: it resumes.',
      cause,
    });
  }
  return new DeckhandError('local_file_error', `Cannot use ${p} on deckhand's machine: ${code ?? String(cause)}.`, {
    hint: 'Check the path and its permissions for the user deckhand runs as.',
    cause,
  });
}
