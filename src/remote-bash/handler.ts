import type { ClientChannel } from 'ssh2';
import { DeckhandError } from '../errors.js';
import type { Inventory } from '../servers/index.js';
import type { HandlerOutcome, JobContext, JobHandler } from '../jobs/handler.js';
import { openExec, run } from '../ssh/exec.js';
import { FrameParser, OffsetLineSplitter, type FrameEvent } from './frames.js';
import type { SshPool } from '../ssh/pool.js';
import { cleanupCommand, followCommand, killCommand, startCommand, startPayload, type SudoMode } from './protocol.js';
import { sudoMode } from './sudo.js';
import { backoff, pause } from '../timing.js';

export interface RemoteBashParams {
  readonly command: string;
  readonly cwd?: string | undefined;
  /** Only the names: values live in a 0600 file beside the log until the command has started. */
  readonly env_keys?: readonly string[] | undefined;
  /** A child of a batch: an unreachable server before the start fails the child instead of being retried. */
  readonly batch?: boolean | undefined;
  /** Run as root through sudo; the password, if the server names one, is read from deckhand's environment. */
  readonly sudo?: boolean | undefined;
}

const FATAL = new Set([
  'host_key_mismatch',
  'auth_failed',
  'unknown_server',
  'key_file_missing',
  'no_auth_method',
  'secret_env_missing',
  'sudo_password_required',
  'sudo_auth_failed',
  'sudo_not_allowed',
  'sudo_missing',
]);

/** A job whose command never got launched goes back to the queue, but not forever. */
const MAX_STARTS = 5;

const SWEEP_EVERY_MS = 10 * 60_000;

const RECONNECT = { base: 500, max: 30_000 };

/** Seconds between TERM and KILL when a job's process group is stopped. */
const KILL_GRACE_S = 2;

export interface RemoteBashHandlerOptions {
  readonly inventory: Inventory;
  readonly pool: SshPool;
  readonly keepFailedMinutes: number;
  /** Where a server's sudo_password_env is read, at start and at kill time (never stored). */
  readonly env: NodeJS.ProcessEnv;
}

type Follow =
  | { kind: 'exit'; status: number }
  | { kind: 'lost'; reason: string }
  | { kind: 'dropped'; err?: unknown }
  | { kind: 'stopped' };

/**
 * Runs a command detached on the remote host (see remote-scripts.ts) and follows its output into the job log.
 * A dropped connection or a restart of deckhand resumes from the offsets stored with the last logged line.
 */
export class RemoteBashHandler implements JobHandler {
  /** Jobs whose runner this process saw start (its pid frame), so their command has run. */
  private readonly started = new Set<string>();
  /** When each server's leftover job directories were last swept. */
  private readonly lastSweep = new Map<string, number>();

  constructor(private readonly o: RemoteBashHandlerOptions) {}

  async run(ctx: JobContext): Promise<HandlerOutcome> {
    try {
      const outcome = await this.attempt(ctx);
      // A requeued job needs its env values for the next start, and an abandoned one may be requeued by the next owner;
      // a job with attempts left may be retried (the kernel drops them when the job ends).
      if (outcome.kind !== 'requeue' && outcome.kind !== 'abandon' && !mayRetry(ctx)) await ctx.files.dropSecret('env');
      return outcome;
    } finally {
      this.started.delete(remoteJobId(ctx.job));
    }
  }

  private async attempt(ctx: JobContext): Promise<HandlerOutcome> {
    const params = ctx.job.params as unknown as RemoteBashParams;
    const id = remoteJobId(ctx.job);
    const state = () => (this.started.has(id) ? 'proven' : launchState(ctx));
    // Reconnects back off from 0.5 s to 30 s; a command that ran to its end resets them.
    let retries = 0;
    const delay = () => backoff(retries + 1, RECONNECT);
    for (;;) {
      const reason = ctx.stopReason();
      if (reason === 'shutdown') return { kind: 'abandon' };
      if (reason && state() === 'no')
        return reason === 'cancel'
          ? { kind: 'cancelled', message: 'Cancelled before the command started.' }
          : { kind: 'timeout', message: 'Timed out before the command could start.' };
      let lease;
      let sudo: SudoMode | undefined;
      try {
        const server = await this.o.inventory.get(ctx.job.server ?? '');
        sudo = params.sudo ? sudoMode(server, this.o.env) : undefined;
        lease = await this.o.pool.acquire(server);
      } catch (err) {
        if (err instanceof DeckhandError && FATAL.has(err.code))
          return { kind: 'failed', error: { code: err.code, message: err.userMessage } };
        if (params.batch && state() === 'no' && !reason) {
          // Partial reachability is a normal batch result: this server's child fails with the connect error.
          const e = err instanceof DeckhandError ? err : undefined;
          return {
            kind: 'failed',
            error: { code: e?.code ?? 'ssh_error', message: e?.userMessage ?? String(err) },
          };
        }
        if (reason) return this.stopOutcome(reason, false, 'the server could not be reached to kill the command');
        ctx.note(
          `cannot reach the server (${err instanceof Error ? err.message : String(err)}); retrying in ${Math.round(delay() / 1000)} s`,
        );
        await pause(delay(), ctx.signal);
        retries++;
        continue;
      }
      try {
        if (reason && state() === 'sent') {
          // A start went out but its outcome was never seen: kill whatever it may have launched; never start it now.
          const killed = await this.kill(lease.client, id, sudo);
          return { ...this.stopOutcome(reason, killed, ''), cleanup: this.cleanupFor(ctx, true) };
        }
        let channel: ClientChannel;
        if (state() !== 'proven') {
          // Safe to send again after a crash or a drop: the start launches only if no earlier start did.
          await ctx.files.mark('start-sent', new Date().toISOString());
          channel = await openExec(lease.client, startCommand(id));
          const env = await ctx.files.readSecret<Record<string, string>>('env');
          const spec = { jobId: id, command: params.command, cwd: params.cwd, env, sudo };
          channel.end(startPayload(spec, ctx.log.durableOffsets.out, ctx.log.durableOffsets.err));
        } else {
          if (ctx.recovering && retries === 0) ctx.note('deckhand restarted: reattaching to the running command');
          channel = await openExec(
            lease.client,
            followCommand(id, ctx.log.durableOffsets.out, ctx.log.durableOffsets.err),
          );
          channel.end();
        }
        const f = await this.follow(ctx, channel);
        if (f.kind === 'exit') {
          retries = 0;
          const r = ctx.stopReason();
          const cleanup = this.cleanupFor(ctx, f.status === 0 || r === 'cancel');
          if (r === 'cancel' || r === 'timeout') return { ...this.stopOutcome(r, true, ''), cleanup };
          return { kind: 'exit', exit_code: f.status, cleanup };
        }
        if (f.kind === 'lost') {
          // not-started: the directory was made but no runner launched (a start cut short); the follower gave the
          // directory back. A job marked launched by an older version may also have no directory. Nothing ran.
          const neverRan =
            f.reason === 'not-started' ||
            (f.reason === 'no-dir' && !this.started.has(id) && launchState(ctx) !== 'proven');
          // The start counter counts every attempt's starts: each earlier attempt started at least once.
          if (neverRan && ctx.job.attempt < MAX_STARTS + ctx.job.attempts.length)
            return { kind: 'requeue', message: 'the command never started on the server; it is queued again' };
          if (neverRan)
            return {
              kind: 'failed',
              error: {
                code: 'start_failed',
                message: `The command could not be started on the server (${ctx.job.attempt} attempts).`,
              },
            };
          return {
            kind: 'lost',
            message:
              f.reason === 'no-dir'
                ? `The job's directory on the server (~/.deckhand/jobs/${id}) is gone and no exit status was recorded: the outcome is unknown.`
                : 'The command is no longer running on the server and left no exit status (it was killed, or the machine rebooted): the outcome is unknown. Its output up to then is in the log.',
          };
        }
        if (f.kind === 'stopped') {
          const r = ctx.stopReason();
          if (r === 'shutdown') return { kind: 'abandon' };
          // Cancel or timeout: kill the process group, then keep following to collect the exit status.
          const killed = await this.kill(lease.client, id, sudo);
          ctx.note(
            killed ? 'the remote process group was terminated' : 'could not confirm the remote process group is gone',
          );
          const after = await this.follow(ctx, await openFollow(lease.client, id, ctx), 10_000);
          // The status the killed command left (143 after a TERM) is kept: it says how it ended.
          return {
            ...this.stopOutcome(r ?? 'cancel', killed, ''),
            ...(after.kind === 'exit' ? { exit_code: after.status } : {}),
            cleanup: this.cleanupFor(ctx, true),
          };
        }
        if (f.err instanceof DeckhandError && f.err.code === 'store_unavailable') {
          // The store refused the log (a full disk, the database away): the command keeps running remotely and the
          // log resumes from the last line stored once it takes lines again.
          ctx.note(`the log could not be stored (${f.err.message}); resuming from the last line stored`);
        } else {
          ctx.note('connection to the server lost; reconnecting and resuming from the last line received');
          lease.discard();
        }
      } catch (err) {
        if (err instanceof DeckhandError && err.code === 'channel_failed') lease.discard();
        else throw err;
      } finally {
        lease.release();
      }
      await pause(delay(), ctx.signal);
      retries++;
    }
  }

  private stopOutcome(reason: 'cancel' | 'timeout', killed: boolean, why: string): HandlerOutcome {
    const what = killed
      ? 'the remote command and everything it started were killed'
      : `deckhand could not confirm the remote command is gone${why ? ` (${why})` : ''}`;
    return reason === 'cancel'
      ? { kind: 'cancelled', message: `Cancelled; ${what}.` }
      : { kind: 'timeout', message: `Reached its time limit; ${what}.` };
  }

  private cleanupFor(ctx: JobContext, removeOwn: boolean): () => Promise<void> {
    return async () => {
      const name = ctx.job.server ?? '';
      // The sweep for failed jobs' directories past their keep time walks every job directory: once in a while per
      // server is enough, not after every command.
      const sweep = Date.now() - (this.lastSweep.get(name) ?? 0) > SWEEP_EVERY_MS;
      if (!removeOwn && !sweep) return;
      const server = await this.o.inventory.get(name);
      const lease = await this.o.pool.acquire(server);
      try {
        if (sweep) this.lastSweep.set(name, Date.now());
        await run(
          lease.client,
          cleanupCommand(removeOwn ? remoteJobId(ctx.job) : undefined, sweep ? this.o.keepFailedMinutes : undefined),
          { timeoutMs: 60_000 },
        );
      } finally {
        lease.release();
      }
    };
  }

  private async kill(client: import('ssh2').Client, id: string, sudo: SudoMode | undefined): Promise<boolean> {
    try {
      const r = await run(client, killCommand(id, KILL_GRACE_S, sudo?.kind), {
        timeoutMs: 30_000,
        ...(sudo?.kind === 'S' ? { stdin: `${sudo.password}\n` } : {}),
      });
      return /gone|no-dir/.test(r.stdout);
    } catch {
      return false;
    }
  }

  /** Streams frames into the log until the command ends, the follower reports it lost, the channel drops or we are stopped. */
  private follow(ctx: JobContext, channel: ClientChannel, maxMs?: number): Promise<Follow> {
    const log = ctx.log;
    let now = Date.now();
    const splitter = (stream: 'stdout' | 'stderr', from: number) =>
      new OffsetLineSplitter(
        from,
        (b, s, e, off) => log.addRange(stream, b, s, e, off, now),
        undefined,
        (b, s, e, n, off) => log.addLines(stream, b, s, e, n, off, now),
      );
    const split = { stdout: splitter('stdout', log.offsets.out), stderr: splitter('stderr', log.offsets.err) };
    return new Promise<Follow>((resolve) => {
      let result: Follow | undefined;
      // Flushes in flight: past two the channel pauses, so a slow store slows the stream (SSH's window does the
      // rest) instead of buffering without bound.
      let inflight = 0;
      let paused = false;
      const settle = (f: Follow) => {
        if (result) return;
        result = f;
        clearTimeout(timer);
        ctx.signal.removeEventListener('abort', onAbort);
        channel.close();
        resolve(f);
      };
      const flush = (): Promise<void> => {
        inflight++;
        if (inflight >= 2 && !paused) {
          paused = true;
          channel.pause();
        }
        return log.flush().then(
          () => {
            inflight--;
            if (paused && inflight < 2) {
              paused = false;
              channel.resume();
            }
          },
          (err: unknown) => settle({ kind: 'dropped', err }),
        );
      };
      // The end is told only once every line before it is stored.
      const settleAfterFlush = (f: Follow) => void flush().then(() => settle(f));
      const onFrame = (e: FrameEvent) => {
        if (e.type === 'data') split[e.stream].push(e.chunk);
        else if (e.type === 'exit') {
          split.stdout.end();
          split.stderr.end();
          settleAfterFlush({ kind: 'exit', status: e.status });
        } else if (e.type === 'lost') {
          settleAfterFlush({ kind: 'lost', reason: e.reason });
        } else if (e.type === 'pid') {
          this.started.add(remoteJobId(ctx.job));
          ctx.files
            .mark(
              'launched',
              `${e.pid}
`,
            )
            .catch((err: unknown) => ctx.note(`could not record the launch: ${String(err)}`));
          // The env values are now in the runner's hands on the server: drop our copy (unless a retry needs it).
          if (!mayRetry(ctx))
            ctx.files
              .dropSecret('env')
              .catch((err: unknown) => ctx.note(`could not remove the env file: ${String(err)}`));
        }
      };
      const parser = new FrameParser(onFrame);
      const onAbort = () => maxMs === undefined && settle({ kind: 'stopped' });
      const timer = maxMs === undefined ? undefined : setTimeout(() => settle({ kind: 'dropped' }), maxMs);
      if (ctx.signal.aborted && maxMs === undefined) return settle({ kind: 'stopped' });
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      channel.on('data', (d: Buffer) => {
        if (result) return;
        now = Date.now();
        try {
          parser.push(d);
        } catch (err) {
          return settle({ kind: 'dropped', err });
        }
        void flush();
      });
      channel.stderr.on('data', (d: Buffer) => log.add('system', `remote follower: ${d.toString('utf8').trim()}`));
      channel.on('close', () => settleAfterFlush({ kind: 'dropped' }));
    });
  }
}

async function openFollow(client: import('ssh2').Client, id: string, ctx: JobContext): Promise<ClientChannel> {
  const ch = await openExec(client, followCommand(id, ctx.log.durableOffsets.out, ctx.log.durableOffsets.err));
  ch.end();
  return ch;
}

/**
 * The job's directory on the server, per attempt: a retry must not find the last attempt's exit record (a start
 * launches only where no start did), so attempt n ≥ 2 works in "<job id>.<n>".
 */
export function remoteJobId(job: JobContext['job']): string {
  const n = job.attempts.length + 1;
  return n <= 1 ? job.id : `${job.id}.${n}`;
}

/** Whether the kernel may run this job again after this attempt (its retry policy has attempts left). */
function mayRetry(ctx: JobContext): boolean {
  const r = ctx.job.retry;
  return r !== null && ctx.job.attempts.length + 1 < r.attempts;
}

/**
 * proven: the runner's pid was seen, so a missing remote directory means the job's state was lost.
 * sent: a start went out and may have launched the command, so stopping it needs the server.
 */
function launchState(ctx: JobContext): 'proven' | 'sent' | 'no' {
  if (ctx.files.marked('launched')) return 'proven';
  if (ctx.files.marked('start-sent')) return 'sent';
  return 'no';
}
