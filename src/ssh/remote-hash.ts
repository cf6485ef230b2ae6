import { createHash } from 'node:crypto';
import type { Client } from 'ssh2';
import { run } from './exec.js';
import { shQuote } from './shell.js';
import type { SftpSession } from './sftp.js';
import { DEFAULT_PIPELINE, pipelinedRead } from './sftp-pipeline.js';

export interface RemoteHash {
  readonly sha256: string;
  /**
   * "server": hashed on the server; "followed": hashed there while an upload wrote it (remote-hash-follow.ts);
   * "sftp": read back over SFTP because the server could not hash it.
   */
  readonly via: 'server' | 'followed' | 'sftp';
}

/**
 * A command that prints the sha256 of what it reads (stdin, or `$1`), in coreutils' "hex *name" form: OpenSSL's
 * where the server has it, since it uses the CPU's SHA instructions (about 1.5 GB/s on this machine) where
 * coreutils' sha256sum does not (about 230 MB/s, slower than the copy it checks); sha256sum otherwise.
 */
export const SHA256_COMMAND =
  // openssl is tried on nothing first, so a broken one is never half-way through stdin when sha256sum takes over.
  'dkh_sha256() { if command -v openssl >/dev/null 2>&1 && openssl dgst -sha256 -r </dev/null >/dev/null 2>&1; ' +
  'then LC_ALL=C openssl dgst -sha256 -r "$@"; else LC_ALL=C sha256sum -b "$@"; fi; }';

/**
 * The sha256 of a remote file. Hashing on the server (OpenSSL, else coreutils' sha256sum, on every Linux deckhand
 * targets) costs one exec and no transfer: reading 1 GB back over SFTP would double a transfer's time. When exec is
 * refused (an SFTP-only account, ForceCommand internal-sftp) or nothing can hash there, the file is read back over
 * SFTP.
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
  // A path starting with "-" would be read as an option by openssl, which knows no "--".
  const arg = path.startsWith('-') ? `./${path}` : path;
  const viaExec = await run(client, `${SHA256_COMMAND}; dkh_sha256 ${shQuote(arg)}`, { timeoutMs, signal }).catch(
    () => undefined,
  );
  const m = viaExec?.code === 0 ? /^\\?([0-9a-f]{64}) /.exec(viaExec.stdout) : null;
  if (m) return { sha256: m[1] as string, via: 'server' };
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
