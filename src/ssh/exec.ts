import { randomBytes } from 'node:crypto';
import type { Client, ClientChannel } from 'ssh2';
import { DeckhandError } from '../errors.js';
import { attachedScript } from './shell.js';

export interface ExecOptions {
  readonly cwd?: string | undefined;
  readonly env?: Readonly<Record<string, string>> | undefined;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly onStdout: (chunk: Buffer) => void;
  readonly onStderr: (chunk: Buffer) => void;
  /** Seconds between TERM and KILL when stopping the remote process group. */
  readonly killGraceMs?: number;
}

export type ExecOutcome =
  | { kind: 'exited'; exitCode: number | null; signal: string | null; pgid: number | undefined }
  | { kind: 'timeout'; pgid: number | undefined; killed: boolean }
  | { kind: 'cancelled'; pgid: number | undefined; killed: boolean };

/**
 * Opens an exec channel. A `channel_failed` error means the command never started and the connection may be
 * dead, so the caller may retry on a fresh connection. `exec_refused` means sshd opened the channel but refused to
 * run it: the connection is fine, and retrying elsewhere would only be refused again.
 */
const exitStatus = new WeakMap<ClientChannel, { code: number | null; signal: string | null }>();

/** The exit status a channel opened by openExec reported, once it has. */
export function exitStatusOf(stream: ClientChannel): { code: number | null; signal: string | null } {
  return exitStatus.get(stream) ?? { code: null, signal: null };
}

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

/** Runs a short command and collects its output (for internal checks and kills, not for user commands). */
export async function execCollect(
  client: Client,
  script: string,
  timeoutMs = 15_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const stream = await openExec(client, script);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.close();
      reject(new DeckhandError('timeout', `Internal command timed out after ${timeoutMs} ms.`));
    }, timeoutMs);
    stream.on('data', (d: Buffer) => out.push(d));
    stream.stderr.on('data', (d: Buffer) => err.push(d));
    stream.on('close', () => {
      clearTimeout(timer);
      resolve({
        code: exitStatusOf(stream).code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** TERM the whole process group, wait a grace period, KILL what is left, and confirm it is gone. */
export async function killProcessGroup(client: Client, pgid: number, graceMs: number): Promise<boolean> {
  const graceS = Math.max(1, Math.ceil(graceMs / 1000));
  const script =
    `kill -TERM -- -${pgid} 2>/dev/null; i=0; while kill -0 -- -${pgid} 2>/dev/null && [ $i -lt ${graceS * 10} ]; do sleep 0.1; i=$((i+1)); done; ` +
    `kill -KILL -- -${pgid} 2>/dev/null; sleep 0.1; if kill -0 -- -${pgid} 2>/dev/null; then echo alive; else echo gone; fi`;
  const r = await execCollect(client, script, graceMs + 10_000);
  return r.stdout.trim().endsWith('gone');
}

/**
 * Runs a user command attached to an exec channel, streaming stdout and stderr apart. On timeout or
 * cancellation the remote process group is killed through a second channel, so nothing is left running.
 */
export async function execAttached(client: Client, command: string, opts: ExecOptions): Promise<ExecOutcome> {
  const marker = `__DECKHAND_PG_${randomBytes(6).toString('hex')}__`;
  const stream = await openExec(client, attachedScript(command, opts, marker));
  let pgid: number | undefined;
  let preamble: Buffer | undefined = Buffer.alloc(0);
  let announced: () => void = () => undefined;
  // Resolves once the remote side has told us its process group (or the channel ended), so a
  // cancellation that arrives before that still finds what to kill.
  const pgidKnown = new Promise<void>((resolve) => {
    announced = resolve;
  });

  const onStderr = (chunk: Buffer) => {
    if (preamble === undefined) return opts.onStderr(chunk);
    // The first stderr line is our marker with the process group id; it never reaches the user.
    preamble = Buffer.concat([preamble, chunk]);
    const nl = preamble.indexOf(10);
    if (nl < 0 && preamble.length < 256) return;
    const line = preamble.subarray(0, nl < 0 ? preamble.length : nl).toString('latin1');
    const rest = nl < 0 ? Buffer.alloc(0) : preamble.subarray(nl + 1);
    preamble = undefined;
    if (line.startsWith(marker)) pgid = Number(line.slice(marker.length)) || undefined;
    else opts.onStderr(Buffer.from(line + '\n'));
    announced();
    if (rest.length) opts.onStderr(rest);
  };

  return new Promise<ExecOutcome>((resolve) => {
    let stopping: 'timeout' | 'cancelled' | undefined;
    let exit: { code: number | null; signal: string | null } = { code: null, signal: null };
    let killed: Promise<boolean> | undefined;

    const stop = (why: 'timeout' | 'cancelled') => {
      if (stopping) return;
      stopping = why;
      const known = Promise.race([pgidKnown, new Promise<void>((r) => setTimeout(r, 10_000).unref())]);
      killed = known.then(() =>
        pgid ? killProcessGroup(client, pgid, opts.killGraceMs ?? 2000).catch(() => false) : false,
      );
      // Closing our side too makes sure the call answers even if the kill channel cannot be opened.
      void killed.finally(() => stream.close());
    };
    const timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
    const onAbort = () => stop('cancelled');
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });

    stream.on('data', (d: Buffer) => opts.onStdout(d));
    stream.stderr.on('data', onStderr);
    stream.on('close', () => {
      exit = exitStatusOf(stream);
      announced();
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (preamble !== undefined && preamble.length > 0) opts.onStderr(preamble);
      preamble = undefined;
      if (stopping) {
        const kind = stopping;
        void (killed ?? Promise.resolve(false)).then((k) => resolve({ kind, pgid, killed: k }));
      } else {
        resolve({ kind: 'exited', exitCode: exit.code, signal: exit.signal, pgid });
      }
    });
  });
}
