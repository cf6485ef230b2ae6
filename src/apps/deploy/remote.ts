import type { Client, ClientChannel } from 'ssh2';
import { DeckhandError } from '../../errors.js';
import { shQuote } from '../../ssh/shell.js';

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Written to the script's stdin, then closed: how file contents and secrets travel (never on the command line). */
  readonly stdin?: string | undefined;
  readonly timeoutMs?: number | undefined;
}

const MAX_KEPT = 512 * 1024;

/**
 * Runs short POSIX sh scripts over one SSH connection: as the login user when it is root, else through
 * `sudo -n` (passwordless sudo; a password prompt would hang, so -n fails at once instead). Output is collected
 * in memory (capped) and never logged here: the caller decides what reaches the job log, redacted.
 */
export class RemoteRunner {
  private sudo = false;

  constructor(
    private readonly client: Client,
    private readonly signal: AbortSignal,
    private readonly defaultTimeoutMs = 120_000,
  ) {}

  /** Checks the privileges once: root, or passwordless sudo. */
  async detectPrivileges(): Promise<'root' | 'sudo'> {
    const id = await this.exec(`sh -c ${shQuote('id -u; sudo -n true 2>/dev/null && echo sudo-ok')}`, {});
    const [uid, sudo] = id.stdout.split('\n');
    if (uid?.trim() === '0') return 'root';
    if (sudo?.trim() === 'sudo-ok') {
      this.sudo = true;
      return 'sudo';
    }
    throw new DeckhandError(
      'needs_root',
      'Deploying needs root on the server, or passwordless sudo for the SSH user.',
      {
        hint: 'Register the server with user root, or give the user passwordless sudo (NOPASSWD) and run setup-server.',
      },
    );
  }

  run(script: string, opts: RunOptions = {}): Promise<RunResult> {
    const command = this.sudo ? `sudo -n -- sh -c ${shQuote(script)}` : `sh -c ${shQuote(script)}`;
    return this.exec(command, opts);
  }

  /** Like run, but a non-zero exit throws a `remote_failed` error naming `what` with the last lines of output. */
  async must(script: string, what: string, opts: RunOptions = {}): Promise<RunResult> {
    const r = await this.run(script, opts);
    if (r.code !== 0) throw remoteFailed(what, r);
    return r;
  }

  private exec(command: string, opts: RunOptions): Promise<RunResult> {
    this.signal.throwIfAborted();
    const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise<RunResult>((resolve, reject) => {
      // Listeners go on inside exec's callback, not after an await: a fast command's exit-status can arrive in the
      // same packet batch as the channel's confirmation, and ssh2 emits 'exit' once, right then.
      this.client.exec(command, (err, channel) => {
        if (err) {
          reject(
            new DeckhandError('channel_failed', `Could not start a command on the server: ${err.message}`, {
              hint: 'Check the connection to the server and try again.',
              cause: err,
            }),
          );
          return;
        }
        collect(channel, this.signal, timeoutMs, opts.stdin).then(resolve, reject);
      });
    });
  }
}

function collect(
  channel: ClientChannel,
  signal: AbortSignal,
  timeoutMs: number,
  stdin: string | undefined,
): Promise<RunResult> {
  return new Promise<RunResult>((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let kept = 0;
    let code: number | null = null;
    let failure: unknown;
    const keep = (into: Buffer[], chunk: Buffer) => {
      if (kept < MAX_KEPT) into.push(chunk);
      kept += chunk.length;
    };
    const stop = (why: unknown) => {
      failure ??= why;
      channel.close();
    };
    const timer = setTimeout(
      () =>
        stop(
          new DeckhandError(
            'remote_timeout',
            `A command on the server took longer than ${Math.round(timeoutMs / 1000)} s.`,
            {
              hint: 'Check the server (load, disk, Docker) and try again.',
            },
          ),
        ),
      timeoutMs,
    );
    const onAbort = () => stop(signal.reason ?? new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    channel.on('exit', (c: number | null) => {
      code = typeof c === 'number' ? c : null;
    });
    channel.on('data', (d: Buffer) => keep(out, d));
    channel.stderr.on('data', (d: Buffer) => keep(err, d));
    channel.on('close', () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (failure !== undefined) return reject(failure instanceof Error ? failure : new Error(String(failure)));
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    writeStdin(channel, stdin);
  });
}

function writeStdin(channel: ClientChannel, stdin: string | undefined): void {
  if (stdin === undefined) channel.end();
  else channel.end(stdin);
}

export function lastLines(text: string, n = 8): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

export function remoteFailed(what: string, r: RunResult): DeckhandError {
  const tail = lastLines(r.stderr) || lastLines(r.stdout) || 'no output';
  return new DeckhandError('remote_failed', `${what} failed on the server (exit ${r.code ?? 'none'}): ${tail}`);
}
