import net from 'node:net';
import { DeckhandError } from '../errors.js';
import type { ServerRecord } from '../servers/index.js';
import type { ProbeResult, SshPool } from '../ssh/pool.js';
import { pause } from '../timing.js';

export interface WaitOptions {
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  /** Called after each failed attempt with what went wrong (for the job log). */
  readonly onRetry?: (reason: string, attempt: number) => void;
  /** Pause between attempts for the first 2 s (default 50 ms), then doubled up to 5 s. */
  readonly initialDelayMs?: number;
}

/** Resolves once something at host:port sends an SSH banner; no authentication, no key check yet. */
export async function waitForSshBanner(host: string, port: number, o: WaitOptions): Promise<string> {
  const started = Date.now();
  const deadline = started + o.timeoutMs;
  let delay = o.initialDelayMs ?? 50;
  for (let attempt = 1; ; attempt++) {
    o.signal.throwIfAborted();
    const r = await banner(host, port, Math.min(5000, Math.max(500, deadline - Date.now())));
    if (r.ok) return r.banner;
    if (Date.now() + delay > deadline) {
      throw new DeckhandError(
        'ssh_timeout',
        `SSH at ${host}:${port} did not answer within ${Math.round(o.timeoutMs / 1000)} s (last: ${r.reason}).`,
        {
          hint: 'The server may still be booting or a firewall may block port 22: check it in the provider console, then run create-server again (it adopts the server).',
        },
      );
    }
    o.onRetry?.(r.reason, attempt);
    await pause(delay, o.signal);
    o.signal.throwIfAborted();
    // A freshly booted machine answers within moments of its actions finishing: poll briskly at first, so the
    // step ends close to when SSH comes up, then back off for a slow boot.
    if (Date.now() - started > 2000) delay = Math.min(delay * 2, 5000);
  }
}

function banner(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<{ ok: true; banner: string } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let buf = '';
    const done = (r: { ok: true; banner: string } | { ok: false; reason: string }) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, reason: 'no answer' }), timeoutMs);
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const nl = buf.indexOf('\n');
      if (nl >= 0 || buf.length > 255) {
        const line = buf.slice(0, nl >= 0 ? nl : 255).trim();
        done(
          line.startsWith('SSH-')
            ? { ok: true, banner: line }
            : { ok: false, reason: `not SSH: "${line.slice(0, 60)}"` },
        );
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => done({ ok: false, reason: e.code ?? e.message }));
    sock.on('close', () => done({ ok: false, reason: 'closed before a banner' }));
  });
}

/** Errors that a freshly booting server produces and that go away by themselves. */
const TRANSIENT = new Set([
  'connection_refused',
  'connect_timeout',
  'connection_lost',
  'host_unreachable',
  'ssh_error',
  // cloud-init installs authorized_keys during boot, so a first login can be refused.
  'auth_failed',
]);

/**
 * Logs in once with the key deckhand authorized and checks the host key against `expected`. A different key is
 * retried once (a server may restart sshd as cloud-init finishes), then refused: nothing is pinned blindly.
 */
export async function verifyHostKey(
  pool: SshPool,
  record: ServerRecord,
  expected: string | undefined,
  o: WaitOptions,
): Promise<ProbeResult> {
  const started = Date.now();
  const deadline = started + o.timeoutMs;
  let delay = o.initialDelayMs ?? 50;
  let mismatches = 0;
  for (let attempt = 1; ; attempt++) {
    o.signal.throwIfAborted();
    try {
      return await pool.probe(record, { expected });
    } catch (err) {
      if (!(err instanceof DeckhandError)) throw err;
      if (err.code === 'host_key_mismatch') {
        mismatches++;
        if (mismatches >= 2) {
          throw new DeckhandError(
            'host_key_mismatch',
            `Server "${record.name}" at ${record.host} does not present the host key deckhand generated for it (${expected}): ${err.message}`,
            {
              hint: 'Nothing was pinned or registered. If the image ignores cloud-init, register the server with add-server after checking its key on the provider console; otherwise delete it with delete-server.',
            },
          );
        }
      } else if (!TRANSIENT.has(err.code)) throw err;
      if (Date.now() + delay > deadline) throw err;
      o.onRetry?.(err.code === 'host_key_mismatch' ? 'unexpected host key' : err.code, attempt);
      await pause(mismatches > 0 ? Math.max(delay, 3000) : delay, o.signal);
      o.signal.throwIfAborted();
      delay = Math.min(delay * 2, 5000);
    }
  }
}
