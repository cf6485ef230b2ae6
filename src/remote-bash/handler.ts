import { DeckhandError } from '../errors.js';
import type { Inventory } from '../servers/index.js';
import type { HandlerOutcome, JobContext, JobHandler } from '../jobs/handler.js';
import type { SshPool } from '../ssh/pool.js';
import type { AgentSessions } from './agent/index.js';
import { followIntoLog, type Attach } from './follow.js';
import { RemotePaths } from './paths.js';
import type { SudoMode } from './protocol.js';
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
  /** Launch in a new login shell (the exec path), not through the connection's agent, whose environment may be stale. */
  readonly fresh_shell?: boolean | undefined;
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
  /** The resident agents, one per pooled connection; without them every step takes an exec channel of its own. */
  readonly agents?: AgentSessions | undefined;
}

/**
 * Runs a command detached on the remote host (see remote-scripts.ts) and follows its output into the job log.
 * A dropped connection or a restart of deckhand resumes from the offsets stored with the last logged line.
 */
export class RemoteBashHandler implements JobHandler {
  /** Jobs whose runner this process saw start (its pid frame), so their command has run. */
  private readonly started = new Set<string>();
  /** When each server's leftover job directories were last swept. */
  private readonly lastSweep = new Map<string, number>();
  private readonly paths: RemotePaths;

  constructor(private readonly o: RemoteBashHandlerOptions) {
    this.paths = new RemotePaths(o.agents);
  }

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
      const name = ctx.job.server ?? '';
      try {
        const server = await this.o.inventory.get(name);
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
      const client = lease.client;
      const onStderr = (text: string) => ctx.log.add('system', `remote follower: ${text}`);
      // An agent's follow also ends when its connection drops: only this tells the two apart.
      let connectionGone = false;
      const onGone = () => (connectionGone = true);
      client.once('end', onGone).once('close', onGone);
      try {
        const agent = await this.paths.agent(name, client);
        const kill = () => this.paths.kill(client, agent, id, KILL_GRACE_S, sudo);
        if (reason && state() === 'sent') {
          // A start went out but its outcome was never seen: kill whatever it may have launched; never start it now.
          const killed = await kill();
          return { ...this.stopOutcome(reason, killed, ''), cleanup: this.cleanupFor(ctx, true) };
        }
        let attach: Attach;
        if (state() !== 'proven') {
          // Safe to send again after a crash or a drop: the start launches only if no earlier start did.
          await ctx.files.mark('start-sent', new Date().toISOString());
          const env = await ctx.files.readSecret<Record<string, string>>('env');
          const spec = { jobId: id, command: params.command, cwd: params.cwd, env, sudo };
          attach = await this.paths.start(client, agent, spec, ctx.log.durableOffsets, {
            freshShell: params.fresh_shell === true,
            onStderr,
          });
        } else {
          if (ctx.recovering && retries === 0) ctx.note('deckhand restarted: reattaching to the running command');
          attach = await this.paths.follow(client, agent, id, ctx.log.durableOffsets, onStderr);
        }
        const f = await this.follow(ctx, attach);
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
          const killed = await kill();
          ctx.note(
            killed ? 'the remote process group was terminated' : 'could not confirm the remote process group is gone',
          );
          const again = await this.paths.follow(client, agent, id, ctx.log.durableOffsets, onStderr);
          const after = await this.follow(ctx, again, 10_000);
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
        } else if (f.agent && !connectionGone) {
          // The agent ended (killed, or its connection dropped: the pool sees that by itself) or refused the job.
          // The command runs on regardless; a new agent or the exec path takes it up from the last line received.
          const why = f.err instanceof Error ? f.err.message.replace(/\.$/, '') : 'the agent on the server ended';
          ctx.note(`${why}; following again from the last line received`);
        } else {
          ctx.note('connection to the server lost; reconnecting and resuming from the last line received');
          lease.discard();
        }
      } catch (err) {
        if (err instanceof DeckhandError && err.code === 'channel_failed') lease.discard();
        else throw err;
      } finally {
        client.off('end', onGone).off('close', onGone);
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

  /** Streams the job's frames into its log (see followIntoLog); the runner's pid proves the command launched. */
  private follow(ctx: JobContext, attach: Attach, maxMs?: number) {
    return followIntoLog(
      ctx,
      attach,
      (pid) => {
        this.started.add(remoteJobId(ctx.job));
        ctx.files
          .mark('launched', `${pid}\n`)
          .catch((err: unknown) => ctx.note(`could not record the launch: ${String(err)}`));
        // The env values are now in the runner's hands on the server: drop our copy (unless a retry needs it).
        if (!mayRetry(ctx))
          ctx.files
            .dropSecret('env')
            .catch((err: unknown) => ctx.note(`could not remove the env file: ${String(err)}`));
      },
      maxMs,
    );
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
        const own = removeOwn ? remoteJobId(ctx.job) : undefined;
        await this.paths.cleanup(name, lease.client, own, sweep ? this.o.keepFailedMinutes : undefined);
      } finally {
        lease.release();
      }
    };
  }
}

/**
 * The job's directory on the server, per attempt: a retry must not find the last attempt's exit record (a start
 * launches only where no start did), so attempt n ≥ 2 works in "<job id>_a<n>".
 */
export function remoteJobId(job: JobContext['job']): string {
  const n = job.attempts.length + 1;
  // Letters, digits and underscores only: the resident agent's shell names variables after job ids.
  return n <= 1 ? job.id : `${job.id}_a${n}`;
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
