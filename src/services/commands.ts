import type { OutputCaps } from '../config.js';
import { DeckhandError } from '../errors.js';
import type { Inventory } from '../inventory/inventory.js';
import { execAttached, type ExecOutcome } from '../ssh/exec.js';
import type { SshPool } from '../ssh/pool.js';
import { OutputCapture } from '../util/output-capture.js';

export interface RunInput {
  server: string;
  command: string;
  timeoutS: number;
  cwd?: string | undefined;
  env?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
  /** Every raw chunk, for callers that keep a full log (the job engine). */
  onOutput?: ((stream: 'stdout' | 'stderr', chunk: Buffer) => void) | undefined;
}

/** The same words the job engine uses: completed | failed | cancelled, with error.code for why. */
export interface CommandResult {
  status: 'completed' | 'failed' | 'cancelled';
  exit_code: number | null;
  signal: string | null;
  error?: { code: string; message: string };
  stdout: string;
  stderr: string;
  duration_ms: number;
  truncated: { stdout: boolean; stderr: boolean };
  lines: { stdout: number; stderr: number };
}

export class CommandService {
  constructor(
    private readonly inventory: Inventory,
    private readonly pool: SshPool,
    private readonly caps: OutputCaps,
  ) {}

  /** Runs a command attached to an SSH channel and waits for it, capping what it keeps of the output. */
  async run(input: RunInput): Promise<CommandResult> {
    const server = await this.inventory.get(input.server);
    const started = Date.now();
    const out = new OutputCapture(this.caps);
    const err = new OutputCapture(this.caps);
    const outcome = await this.withConnection(server.name, input.signal, async (lease) =>
      execAttached(lease.client, input.command, {
        cwd: input.cwd,
        env: input.env,
        timeoutMs: input.timeoutS * 1000,
        signal: input.signal,
        onStdout: (c) => {
          out.write(c);
          input.onOutput?.('stdout', c);
        },
        onStderr: (c) => {
          err.write(c);
          input.onOutput?.('stderr', c);
        },
      }),
    );
    const o = out.finish();
    const e = err.finish();
    return {
      ...describeOutcome(outcome, input.timeoutS),
      stdout: o.text,
      stderr: e.text,
      duration_ms: Date.now() - started,
      truncated: { stdout: o.truncated, stderr: e.truncated },
      lines: { stdout: o.total_lines, stderr: e.total_lines },
    };
  }

  /**
   * Acquires a pooled connection; if the channel cannot even be opened (the connection died while idle),
   * the command never started, so it is safe to retry once on a fresh connection.
   */
  private async withConnection<T>(
    serverName: string,
    signal: AbortSignal | undefined,
    fn: (lease: import('../ssh/pool.js').Lease) => Promise<T>,
  ): Promise<T> {
    const server = await this.inventory.get(serverName);
    for (let attempt = 1; ; attempt++) {
      const lease = await this.pool.acquire(server, signal);
      try {
        return await fn(lease);
      } catch (err) {
        if (err instanceof DeckhandError && err.code === 'channel_failed' && attempt < 2) {
          lease.discard();
          continue;
        }
        throw err;
      } finally {
        lease.release();
      }
    }
  }
}

function describeOutcome(
  o: ExecOutcome,
  timeoutS: number,
): Pick<CommandResult, 'status' | 'exit_code' | 'signal' | 'error'> {
  const group = o.pgid ? ` (process group ${o.pgid})` : '';
  switch (o.kind) {
    case 'timeout':
      return {
        status: 'failed',
        exit_code: null,
        signal: 'TERM',
        error: {
          code: 'timeout',
          message: o.killed
            ? `Timed out after ${timeoutS} s; the remote command and everything it started${group} were killed.`
            : `Timed out after ${timeoutS} s; deckhand tried to kill the remote command${group} but could not confirm it is gone.`,
        },
      };
    case 'cancelled':
      return {
        status: 'cancelled',
        exit_code: null,
        signal: 'TERM',
        error: {
          code: 'cancelled',
          message: o.killed
            ? `Cancelled; the remote command and everything it started${group} were killed.`
            : `Cancelled; deckhand tried to kill the remote command${group} but could not confirm it is gone.`,
        },
      };
    case 'exited':
      if (o.exitCode === 0) return { status: 'completed', exit_code: 0, signal: null };
      if (o.exitCode === null && o.signal === null) {
        return {
          status: 'failed',
          exit_code: null,
          signal: null,
          error: {
            code: 'connection_lost',
            message:
              'The SSH connection closed before the command reported an exit status; it may have been killed with the connection. Use mode "background" for commands that must survive a dropped connection.',
          },
        };
      }
      return {
        status: 'failed',
        exit_code: o.exitCode,
        signal: o.signal,
        ...(o.signal ? { error: { code: 'signal', message: `The command was killed by signal ${o.signal}.` } } : {}),
      };
  }
}
