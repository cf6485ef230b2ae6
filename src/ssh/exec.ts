import { randomBytes } from 'node:crypto';
import type { Client, ClientChannel } from 'ssh2';
import { DeckhandError } from '../errors.js';
import { attachedScript, shQuote } from './shell.js';

const exitStatus = new WeakMap<ClientChannel, { code: number | null; signal: string | null }>();

/** The exit status a channel opened by openExec reported, once it has. */
export function exitStatusOf(stream: ClientChannel): { code: number | null; signal: string | null } {
  return exitStatus.get(stream) ?? { code: null, signal: null };
}

/**
 * Opens an exec channel. A `channel_failed` error means the command never started and the connection may be
 * dead, so the caller may retry on a fresh connection. `exec_refused` means sshd opened the channel but refused to
 * run it: the connection is fine, and retrying elsewhere would only be refused again.
 */
export function openExec(client: Client, script: string): Promise<ClientChannel> {
  // sshd refuses an exec request with a NUL in it, and the caller would take that for a dead connection.
  if (script.includes('\u0000')) {
    return Promise.reject(
      new DeckhandError(
        'invalid_argument',
        'The command, its cwd or an env value contains a NUL character (\\u0000).',
        {
          hint: 'Remove it: a remote shell cannot take one. Pass binary data base64-encoded instead.',
        },
      ),
    );
  }
  return new Promise((resolve, reject) => {
    try {
      client.exec(script, (err, stream) => {
        if (err) return reject(channelError(err));
        // ssh2 emits 'exit' once, possibly in the same tick as this callback: record it now, before any await,
        // or a fast command's status is lost.
        stream.once('exit', (code: number | null, signal?: string | null) => {
          exitStatus.set(stream, { code: typeof code === 'number' ? code : null, signal: signal ?? null });
        });
        resolve(stream);
      });
    } catch (err) {
      reject(channelError(err as Error));
    }
  });
}

function channelError(err: Error): DeckhandError {
  // ssh2 says "Unable to exec" when sshd answered the exec request with a failure on a channel it had opened.
  if (err.message === 'Unable to exec') {
    return new DeckhandError('exec_refused', 'The server refused to run the command.', {
      hint: "Check sshd's configuration and log on the server (for example a ForceCommand or a restricted shell).",
      cause: err,
    });
  }
  return new DeckhandError('channel_failed', `Could not start a command channel: ${err.message}`, { cause: err });
}

export interface RunOptions {
  /** Written to the command's stdin, then closed: how file contents and secrets travel (never on the command line). */
  readonly stdin?: string | Buffer | undefined;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /** Run as root through `sudo -n` (passwordless sudo: a password prompt fails at once instead of hanging). */
  readonly sudo?: boolean | undefined;
  readonly cwd?: string | undefined;
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** Raw output as it arrives (the runner still collects it, within `maxKeptBytes`). */
  readonly onStdout?: ((chunk: Buffer) => void) | undefined;
  readonly onStderr?: ((chunk: Buffer) => void) | undefined;
  /** Output kept in the result, both streams together (default 512 KiB); more is counted, not kept. */
  readonly maxKeptBytes?: number | undefined;
  /** Between TERM and KILL when stopping the remote process group (default 2 s). */
  readonly killGraceMs?: number | undefined;
}

export interface RunResult {
  /** exited: the command ended by itself; timeout / cancelled: it was stopped (its process group killed). */
  readonly outcome: 'exited' | 'timeout' | 'cancelled';
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  /** For a stopped command: whether its process group is confirmed gone. */
  readonly killed: boolean;
}

/**
 * The one way deckhand runs a command it waits for: on an exec channel, its output collected, and on timeout or
 * abort its whole remote process group killed through a second channel (TERM, grace, KILL, confirmed) — a closed
 * channel alone leaves the command running on the server. Commands that must outlive the connection are not run
 * here: remote-bash launches those detached (remote-bash/protocol.ts).
 */
export async function run(client: Client, script: string, opts: RunOptions): Promise<RunResult> {
  opts.signal?.throwIfAborted();
  const marker = `__DECKHAND_PG_${randomBytes(6).toString('hex')}__`;
  const command = opts.sudo ? `sudo -n -- sh -c ${shQuote(script)}` : script;
  const stream = await openExec(client, attachedScript(command, opts, marker));
  const max = opts.maxKeptBytes ?? 512 * 1024;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let kept = 0;
  const keep = (into: Buffer[], chunk: Buffer) => {
    if (kept >= max) return;
    const part = chunk.length <= max - kept ? chunk : chunk.subarray(0, max - kept);
    into.push(part);
    kept += part.length;
  };
  const onOut = (c: Buffer) => {
    keep(out, c);
    opts.onStdout?.(c);
  };
  const onErr = (c: Buffer) => {
    keep(err, c);
    opts.onStderr?.(c);
  };
  let pgid: number | undefined;
  let preamble: Buffer | undefined = Buffer.alloc(0);
  let announced: () => void = () => undefined;
  // Resolves once the remote side has told us its process group (or the channel ended), so a stop that arrives
  // before that still finds what to kill.
  const pgidKnown = new Promise<void>((resolve) => (announced = resolve));
  const onStderr = (chunk: Buffer) => {
    if (preamble === undefined) return onErr(chunk);
    // The first stderr line is our marker with the process group id; it never reaches the caller.
    preamble = Buffer.concat([preamble, chunk]);
    const nl = preamble.indexOf(10);
    if (nl < 0 && preamble.length < 256) return;
    const line = preamble.subarray(0, nl < 0 ? preamble.length : nl).toString('latin1');
    const rest = nl < 0 ? Buffer.alloc(0) : preamble.subarray(nl + 1);
    preamble = undefined;
    if (line.startsWith(marker)) pgid = Number(line.slice(marker.length)) || undefined;
    else onErr(Buffer.from(line + '\n'));
    announced();
    if (rest.length) onErr(rest);
  };

  return new Promise<RunResult>((resolve) => {
    let stopping: 'timeout' | 'cancelled' | undefined;
    let killed: Promise<boolean> | undefined;
    let guard: NodeJS.Timeout | undefined;
    const stop = (why: 'timeout' | 'cancelled') => {
      if (stopping) return;
      stopping = why;
      const known = Promise.race([pgidKnown, new Promise<void>((r) => (guard = setTimeout(r, 10_000)))]);
      killed = known.then(() => {
        clearTimeout(guard);
        return pgid ? killProcessGroup(client, pgid, opts.killGraceMs ?? 2000, opts.sudo).catch(() => false) : false;
      });
      // Closing our side too makes sure the call answers even if the kill channel cannot be opened.
      void killed.finally(() => stream.close());
    };
    const timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
    const onAbort = () => stop('cancelled');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('data', onOut);
    stream.stderr.on('data', onStderr);
    stream.on('close', () => {
      const exit = exitStatusOf(stream);
      announced();
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (preamble !== undefined && preamble.length > 0) onErr(preamble);
      preamble = undefined;
      const text = (b: Buffer[]) => Buffer.concat(b).toString('utf8');
      const finish = (outcome: RunResult['outcome'], k: boolean) =>
        resolve({ outcome, code: exit.code, signal: exit.signal, stdout: text(out), stderr: text(err), killed: k });
      if (stopping) void (killed ?? Promise.resolve(false)).then((k) => finish(stopping ?? 'cancelled', k));
      else finish('exited', false);
    });
    if (opts.stdin === undefined) stream.end();
    else stream.end(opts.stdin);
  });
}

/**
 * TERM the whole process group, wait the grace period, KILL what is left, and confirm it is gone. A group started
 * through sudo belongs to root, so it is killed through sudo too.
 */
export async function killProcessGroup(client: Client, pgid: number, graceMs: number, sudo = false): Promise<boolean> {
  const ticks = Math.max(1, Math.ceil(graceMs / 100));
  const k = sudo ? 'sudo -n kill' : 'kill';
  const script =
    `${k} -TERM -- -${pgid} 2>/dev/null; i=0; while ${k} -0 -- -${pgid} 2>/dev/null && [ $i -lt ${ticks} ]; do sleep 0.1; i=$((i+1)); done; ` +
    `${k} -KILL -- -${pgid} 2>/dev/null; sleep 0.1; if ${k} -0 -- -${pgid} 2>/dev/null; then echo alive; else echo gone; fi`;
  const stream = await openExec(client, script);
  const chunks: Buffer[] = [];
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => stream.close(), graceMs + 10_000);
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.stderr.resume();
    stream.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8').trim().endsWith('gone'));
    });
    stream.end();
  });
}
