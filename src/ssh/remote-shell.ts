import type { Client } from 'ssh2';
import { DeckhandError } from '../errors.js';
import { run, type RunResult } from './exec.js';

export type ShellResult = Pick<RunResult, 'code' | 'stdout' | 'stderr'>;

export interface RemoteShellOptions {
  readonly signal: AbortSignal;
  /** Every output line, for the job log (the caller redacts what it must). */
  readonly onLine?: ((stream: 'stdout' | 'stderr', line: string) => void) | undefined;
  /** Every script before it runs (benchmarks and tests count them). */
  readonly onCommand?: ((script: string) => void) | undefined;
  readonly defaultTimeoutMs?: number | undefined;
  /** What a non-zero exit of `must` throws (default: command_failed with the last lines of output). */
  readonly failure?: ((what: string, r: ShellResult) => DeckhandError) | undefined;
  /** What the task is, for the hint of a timeout ("run setup-server again to resume"). */
  readonly retryHint?: string | undefined;
}

export interface ShellRunOptions {
  /** Written to the script's stdin: how file contents and secrets travel (never on the command line). */
  readonly stdin?: string | undefined;
  readonly timeoutMs?: number | undefined;
}

const MAX_KEPT = 512 * 1024;

/**
 * Runs short POSIX sh scripts on one SSH connection as root: directly when logged in as root, else through
 * `sudo -n` once `detectPrivileges` found passwordless sudo. Setup and deploy both work through it; every script
 * runs through ssh/exec.ts's `run`, so a timeout or a cancelled job kills the remote command, never just the channel.
 */
export class RemoteShell {
  sudo = false;

  constructor(
    private readonly client: Client,
    private readonly o: RemoteShellOptions,
  ) {}

  /** Root, or passwordless sudo (which later scripts then go through); anything else is `needs_root`. */
  async detectPrivileges(what: string): Promise<'root' | 'sudo'> {
    const id = await this.runAsLogin('id -u; sudo -n true 2>/dev/null && echo sudo-ok');
    const [uid, sudo] = id.stdout.split('\n');
    if (uid?.trim() === '0') return 'root';
    if (sudo?.trim() === 'sudo-ok') {
      this.sudo = true;
      return 'sudo';
    }
    throw new DeckhandError('needs_root', `${what} needs root on the server, or passwordless sudo for the SSH user.`, {
      hint: 'Register the server with user root, or give the user passwordless sudo (NOPASSWD) and run setup-server.',
    });
  }

  /** Runs without sudo even when it is on (for the facts that decide whether sudo is needed). */
  runAsLogin(script: string, opts: ShellRunOptions = {}): Promise<ShellResult> {
    return this.exec(script, false, opts);
  }

  run(script: string, opts: ShellRunOptions = {}): Promise<ShellResult> {
    return this.exec(script, this.sudo, opts);
  }

  /** Like run, but a non-zero exit throws (see `failure`) naming `what` with the last lines of output. */
  async must(script: string, what: string, opts: ShellRunOptions = {}): Promise<ShellResult> {
    const r = await this.run(script, opts);
    if (r.code !== 0) throw (this.o.failure ?? commandFailed)(what, r);
    return r;
  }

  /** Writes a file atomically (a temporary file, then rename), its content through stdin: any bytes survive. */
  async writeFile(path: string, content: string, mode: string): Promise<void> {
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const tmp = `${path}.deckhand-tmp`;
    await this.must(
      `umask 077 && mkdir -p "$(dirname ${q(path)})" && cat > ${q(tmp)} && chmod ${mode} ${q(tmp)} && mv -f ${q(tmp)} ${q(path)}`,
      `writing ${path}`,
      { stdin: content },
    );
  }

  private async exec(script: string, sudo: boolean, opts: ShellRunOptions): Promise<ShellResult> {
    this.o.onCommand?.(script);
    const timeoutMs = opts.timeoutMs ?? this.o.defaultTimeoutMs ?? 120_000;
    const r = await run(this.client, script, {
      timeoutMs,
      signal: this.o.signal,
      sudo,
      stdin: opts.stdin,
      maxKeptBytes: MAX_KEPT,
    });
    if (this.o.onLine) {
      for (const line of r.stdout.split('\n')) if (line) this.o.onLine('stdout', line);
      for (const line of r.stderr.split('\n')) if (line) this.o.onLine('stderr', line);
    }
    if (r.outcome === 'timeout') {
      throw new DeckhandError(
        'remote_timeout',
        `A command on the server took longer than ${Math.round(timeoutMs / 1000)} s${r.killed ? ' and was killed' : ''}.`,
        {
          hint: `Check the server (load, disk, network)${this.o.retryHint ? `; ${this.o.retryHint}` : ' and try again'}.`,
        },
      );
    }
    if (r.outcome === 'cancelled') this.o.signal.throwIfAborted();
    return r;
  }
}

export function lastLines(text: string, n = 6): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

export function commandFailed(what: string, r: ShellResult): DeckhandError {
  const tail = lastLines(r.stderr) || lastLines(r.stdout) || 'no output';
  return new DeckhandError('command_failed', `${what} failed (exit ${r.code ?? 'none'}): ${tail}`, {
    hint: 'The whole output is in the job log (get-job-status); fix the cause and run setup-server again: finished steps are kept.',
  });
}
