import { createHash } from 'node:crypto';
import type { Client } from 'ssh2';
import { run } from './exec.js';
import { shQuote } from './shell.js';
import type { SftpSession } from './sftp.js';
import { DEFAULT_PIPELINE, pipelinedRead } from './sftp-pipeline.js';

export interface RemoteHash {
  readonly sha256: string;
  /** "sha256sum": hashed on the server; "sftp": read back over SFTP because the server could not run sha256sum. */
  readonly via: 'sha256sum' | 'sftp';
}

/**
 * The sha256 of a remote file. Hashing on the server (`sha256sum`, coreutils, on every Linux deckhand targets) costs
 * one exec and no transfer: reading 1 GB back over SFTP would double a transfer's time. When exec is refused
 * (an SFTP-only account, ForceCommand internal-sftp) or sha256sum is missing, the file is read back over SFTP.
 */
export async function remoteSha256(
  client: Client,
  sftp: SftpSession,
  path: string,
  size: number,
  signal?: AbortSignal,
): Promise<RemoteHash> {
  // Generous: a slow disk reads 50 MB/s; the command is only a checksum.
  const timeoutMs = 60_000 + Math.ceil(size / 50_000);
  const viaExec = await run(client, `LC_ALL=C sha256sum -b -- ${shQuote(path)}`, { timeoutMs, signal }).catch(
    () => undefined,
  );
  const m = viaExec?.code === 0 ? /^\\?([0-9a-f]{64}) /.exec(viaExec.stdout) : null;
  if (m) return { sha256: m[1] as string, via: 'sha256sum' };
  return { sha256: await sftpSha256(sftp, path, size, signal), via: 'sftp' };
}

export async function sftpSha256(sftp: SftpSession, path: string, size: number, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const handle = await sftp.open(path, 'r');
  try {
    await pipelinedRead(sftp, handle, path, 0, size, { ...DEFAULT_PIPELINE, signal }, (d) => void hash.update(d));
  } finally {
    await sftp.closeHandle(handle, path).catch(() => undefined);
  }
  return hash.digest('hex');
}
