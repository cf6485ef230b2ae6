import type { Client } from 'ssh2';
import { DeckhandError } from '../errors.js';
import { execAttached } from './exec.js';
import { shQuote } from './shell.js';

export interface ShellResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RemoteShellOptions {
  readonly signal: AbortSignal;
  /** Every output line, for the job log. */
  readonly onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  /** Every command before it runs (benchmarks and tests count them). */
  readonly onCommand?: (script: string) => void;
  readonly defaultTimeoutMs?: number;
}

const MAX_KEPT = 256 * 1024;

/**
 * Runs POSIX sh scripts on one SSH connection, as root: directly when logged in as root, else through
 * `sudo -n` (passwordless sudo; a password prompt would hang, so -n makes it fail at once instead).
 */
export class RemoteShell {
  sudo = false;

  constructor(
    private readonly client: Client,
    private readonly o: RemoteShellOptions,
  ) {}

  /** Runs without sudo even when it is on (for the facts that decide whether sudo is needed). */
  async runAsLogin(script: string, timeoutMs?: number): Promise<ShellResult> {
    return this.exec(script, script, timeoutMs);
  }

  /** The scripts are POSIX sh, which the bash (or sh) that execAttached starts runs as they are: no extra shell. */
  async run(script: string, timeoutMs?: number): Promise<ShellResult> {
    return this.exec(this.sudo ? `sudo -n -- sh -c ${shQuote(script)}` : script, script, timeoutMs);
  }

  /** Like run, but a non-zero exit throws with the command's last lines of output. */
  async must(script: string, what: string, timeoutMs?: number): Promise<ShellResult> {
    const r = await this.run(script, timeoutMs);
    if (r.code !== 0) throw commandFailed(what, r);
    return r;
  }

  /** Writes a file through base64 (any content survives the shell), atomically via a temporary file. */
  async writeFile(path: string, content: string, mode: string): Promise<void> {
    const b64 = Buffer.from(content, 'utf8').toString('base64');
    const tmp = `${path}.deckhand-tmp`;
    await this.must(
      `umask 077 && mkdir -p "$(dirname ${shQuote(path)})" && printf %s ${shQuote(b64)} | base64 -d > ${shQuote(tmp)} && ` +
        `chmod ${mode} ${shQuote(tmp)} && mv -f ${shQuote(tmp)} ${shQuote(path)}`,
      `writing ${path}`,
    );
  }

  private async exec(command: string, script: string, timeoutMs?: number): Promise<ShellResult> {
    this.o.onCommand?.(script);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let kept = 0;
    const keep = (into: Buffer[], chunk: Buffer) => {
      if (kept < MAX_KEPT) into.push(chunk);
      kept += chunk.length;
    };
    const outcome = await execAttached(this.client, command, {
      timeoutMs: timeoutMs ?? this.o.defaultTimeoutMs ?? 120_000,
      signal: this.o.signal,
      onStdout: (c) => keep(out, c),
      onStderr: (c) => keep(err, c),
    });
    const r: ShellResult = {
      code: outcome.kind === 'exited' ? outcome.exitCode : null,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
    };
    if (this.o.onLine) {
      for (const line of r.stdout.split('\n')) if (line) this.o.onLine('stdout', line);
      for (const line of r.stderr.split('\n')) if (line) this.o.onLine('stderr', line);
    }
    if (outcome.kind === 'timeout') {
      throw new DeckhandError(
        'timeout',
        `A setup command timed out after ${Math.round((timeoutMs ?? 120_000) / 1000)} s.`,
        {
          hint: 'Check the server (load, network); run setup-server again to resume.',
        },
      );
    }
    if (outcome.kind === 'cancelled') this.o.signal.throwIfAborted();
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
