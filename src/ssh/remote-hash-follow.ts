import type { Client, ClientChannel } from 'ssh2';
import { openExec } from './exec.js';
import { SHA256_COMMAND } from './remote-hash.js';
import { shQuote } from './shell.js';

/**
 * The sha256 of a file the caller is still writing, taken on the server while it grows, so that an upload's check
 * costs almost nothing after its last byte (hashing 1 GB after the copy took about as long as the copy itself).
 *
 * One exec: its stdin is told, in whole blocks, how far the file is written (every byte below is acknowledged by
 * the SFTP server, so final); it reads each new stretch with dd into one hasher. Whatever goes wrong on the
 * server (no dd, no sha256sum, a read error) is reported on stderr, and `finish` then answers undefined: the caller
 * hashes the finished file instead, never trusting a hash of bytes it cannot vouch for.
 */
export interface HashFollower {
  /** Every byte below `end` is written. */
  advance(end: number): void;
  /** The file is complete at `total` bytes: its sha256, or undefined when the server could not follow it. */
  finish(total: number): Promise<string | undefined>;
  /** Stops following (the copy failed). */
  close(): void;
}

export const FOLLOW_BLOCK = 1024 * 1024;

export async function followRemoteSha256(client: Client, path: string): Promise<HashFollower> {
  const b = FOLLOW_BLOCK;
  const script =
    `${SHA256_COMMAND}; f=${shQuote(path)}; n=0; while IFS= read -r m; do if [ "$m" -gt "$n" ]; then ` +
    `dd if="$f" bs=${b} skip=$n count=$((m-n)) 2>/dev/null || { echo dkh-dd-failed >&2; exit 3; }; n=$m; fi; ` +
    `done | dkh_sha256`;
  const ch: ClientChannel = await openExec(client, script);
  let out = '';
  let failed = false;
  ch.on('data', (d: Buffer) => (out += d.toString('latin1')));
  ch.stderr.on('data', () => (failed = true));
  const closed = new Promise<void>((resolve) => ch.once('close', () => resolve()));
  let sent = 0;
  let done = false;
  const send = (blocks: number) => {
    if (done || blocks <= sent) return;
    sent = blocks;
    ch.write(`${blocks}\n`);
  };
  return {
    advance: (end) => send(Math.floor(end / b)),
    async finish(total) {
      send(Math.ceil(total / b));
      done = true;
      ch.end();
      await closed;
      const m = /^\\?([0-9a-f]{64}) /.exec(out);
      return !failed && m ? (m[1] as string) : undefined;
    },
    close() {
      done = true;
      ch.close();
    },
  };
}
