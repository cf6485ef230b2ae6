import type { EventEmitter } from 'node:events';
import type { JobsConfig } from '../config.js';
import { DeckhandError } from '../errors.js';
import type { EngineEvents } from './events.js';
import type { JobFiles } from './files.js';
import type { HandlerOutcome, JobContext, JobHandler, StopReason } from './handler.js';
import { applyOutcome, outcomeLine } from './outcome.js';
import { attemptLogKey } from './log/keys.js';
import { decideAttemptEnd, endWords, type AttemptDecision } from './retry.js';
import { RunLog } from './run-log.js';
import type { ClaimRequest, Stores } from './store/contract.js';
import * as T from './types.js';
import type { Job } from './types.js';

export interface RunsOptions {
  readonly stores: Stores;
  readonly files: JobFiles;
  readonly config: Pick<JobsConfig, 'logMaxBytes'>;
  readonly events: EventEmitter<EngineEvents>;
  readonly handler: (type: string) => JobHandler | undefined;
  /** The claim this instance makes when a run ends (its slot passes on in the same write). */
  readonly claimRequest: () => ClaimRequest | undefined;
  /** Jobs a finish claimed (launched by the engine), and the scheduler's wake-up once a slot is free. */
  readonly onClaimed: (jobs: Job[]) => void;
  readonly onSlotFree: () => void;
  /** A child of a batch ended: the batch's policy and state follow (see batch.ts). */
  readonly onChildEnded: (parentId: string) => Promise<void>;
  readonly onError: (err: unknown, context: string) => void;
  /** The jitter's draws for retry backoffs (tests pass their own). */
  readonly random?: () => number;
}

interface Running {
  readonly controller: AbortController;
  reason: StopReason | undefined;
  timer: NodeJS.Timeout | undefined;
  done: Promise<void>;
}

/**
 * The runs this instance executes: each job's timer, context and handler, and its end recorded through the store.
 * A run is launched once per job per instance; its slot frees as soon as the outcome is stored, before any cleanup.
 */
export class Runs {
  private readonly running = new Map<string, Running>();
  private readonly cleanups = new Set<Promise<void>>();

  constructor(private readonly o: RunsOptions) {}

  get size(): number {
    return this.running.size;
  }

  has(id: string): boolean {
    return this.running.has(id);
  }

  /** Stops one run (cancel or timeout); the handler decides what the stop means for its work. */
  stop(id: string, reason: StopReason): void {
    const r = this.running.get(id);
    if (r) stopRun(r, reason);
  }

  /** Stops every run for a shutdown (or a lost ownership): each is left running remotely for the next owner. */
  async stopAll(): Promise<void> {
    for (const r of this.running.values()) stopRun(r, 'shutdown');
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    await Promise.allSettled([...this.cleanups]);
  }

  launch(job: Job, recovering: boolean): void {
    // A job claimed here is 'running' in the store before it launches, so a recovery can reach here for a job that
    // is, or is about to be, running here: run it once.
    if (this.running.has(job.id)) return;
    const entry: Running = {
      controller: new AbortController(),
      reason: undefined,
      timer: undefined,
      done: Promise.resolve(),
    };
    this.running.set(job.id, entry);
    // The attempt's own time limit, or the job's active deadline over all attempts when that comes first: either
    // stops the work as a timeout (the end is then judged against the deadline, retry.ts).
    const limit = Date.parse(job.started_at ?? new Date().toISOString()) + job.timeout_s * 1000;
    armTimeout(entry, Math.min(limit, T.deadlineOf(job) ?? limit));
    if (job.cancel_requested_at) stopRun(entry, 'cancel');
    entry.done = this.execute(job, recovering, entry).then((claimed) => {
      clearTimeout(entry.timer);
      // Jobs started in its place launch once it is gone from `running` (a requeued job may be among them).
      this.running.delete(job.id);
      if (claimed.length) this.o.onClaimed(claimed);
      this.o.onSlotFree();
    });
  }

  /** Runs the job to its outcome and records it; answers the queued jobs its freed slot started. */
  private async execute(job: Job, recovering: boolean, entry: Running): Promise<Job[]> {
    let log: RunLog | undefined;
    let notes: Promise<void> = Promise.resolve();
    let outcome: HandlerOutcome;
    const attempt = T.currentAttempt(job);
    try {
      // Each attempt writes its own log (log/keys.ts); the job's id names the first.
      const writer = await this.o.stores.logs.open(attemptLogKey(job.id, attempt), {
        maxBytes: this.o.config.logMaxBytes,
      });
      log = new RunLog(writer, {
        onLines: (seq) => {
          this.o.events.emit('lines', job.id, seq);
          this.o.stores.changes.announceLines(job.id, seq);
        },
      });
      const l = log;
      const prev = job.attempts.at(-1);
      if (prev && l.seq === 0)
        l.add(
          'system',
          `attempt ${attempt} of ${job.retry?.attempts ?? attempt}: attempt ${prev.n} ended (${endWords(prev)})`,
        );
      const files = await this.o.files.forJob(job.id, attempt);
      const ctx: JobContext = {
        job,
        recovering,
        signal: entry.controller.signal,
        stopReason: () => entry.reason,
        log: l,
        files,
        note: (text) => {
          l.add('system', text);
          notes = notes.then(() => l.flush()).catch((err: unknown) => this.o.onError(err, `log of ${job.id}`));
        },
        progress: (p) => {
          void this.o.stores.jobs
            .update(job.id, (j) => (T.isTerminal(j.status) ? undefined : T.setProgress(j, p)))
            .then((j) => j && this.o.events.emit('job', j))
            .catch((err: unknown) => this.o.onError(err, 'progress'));
        },
        setRuntime: async (r) => {
          await this.o.stores.jobs.update(job.id, (j) => T.setRuntime(j, r));
        },
      };
      const handler = this.o.handler(job.type);
      outcome = handler
        ? await handler.run(ctx)
        : { kind: 'failed', error: { code: 'unknown_type', message: `No handler for job type "${job.type}".` } };
    } catch (err) {
      outcome = {
        kind: 'failed',
        error: {
          code: err instanceof DeckhandError ? err.code : 'internal_error',
          message: err instanceof Error ? err.message : String(err),
        },
      };
    }
    let claimed: Job[] = [];
    try {
      await notes;
      claimed = await this.finish(job.id, outcome, log, job.parent_id);
    } catch (err) {
      this.o.onError(err, `finishing ${job.id}`);
    } finally {
      await log?.close().catch((err: unknown) => this.o.onError(err, `closing the log of ${job.id}`));
    }
    const cleanup = outcome.cleanup;
    if (cleanup) this.track(cleanup().catch((err: unknown) => this.o.onError(err, `cleanup of ${job.id}`)));
    return claimed;
  }

  /** Records the outcome and, in the same write, starts the queued jobs its slot makes room for. */
  private async finish(
    id: string,
    o: HandlerOutcome,
    log: RunLog | undefined,
    parentOf: string | null,
  ): Promise<Job[]> {
    if (o.kind === 'abandon') return [];
    const now = new Date();
    if (log) {
      log.add('system', outcomeLine(o));
      await log.flush().catch((err: unknown) => this.o.onError(err, `log of ${id}`));
    }
    const random = (this.o.random ?? Math.random)();
    const logLines = log?.seq ?? 0;
    let decision: AttemptDecision | undefined;
    const change = (j: Job) => {
      const ended = applyOutcome(j, o, now);
      // The policy decides in the same write: the job ends, or goes back to the queue for its next attempt.
      decision = ended && decideAttemptEnd(j, ended, { now, random, logLines });
      return decision?.job;
    };
    // A batch child passes its slot on only after its batch's policy had its say (a failure may stop the batch).
    const claim = this.o.claimRequest();
    const { job, claimed } =
      claim && !parentOf
        ? await this.o.stores.jobs.updateAndClaim(id, change, claim)
        : { job: await this.o.stores.jobs.update(id, change), claimed: [] };
    if (job) this.o.events.emit('job', job);
    // What the job kept beside its record (secrets left over, launch marks) is needed no more once it has ended; a
    // command's secret inputs are kept until then, while another attempt may need them.
    if (job && T.isTerminal(job.status))
      this.track(
        this.o.files
          .clear(id, Math.max(1, job.attempts.length))
          .catch((err: unknown) => this.o.onError(err, `clearing the files of ${id}`)),
      );
    for (const c of claimed) this.o.events.emit('job', c);
    // A retried attempt's log is closed at its recorded length (later attempts' cursors count from it): the word on
    // what comes next opens the next attempt's log instead.
    const note = (decision as AttemptDecision | undefined)?.note;
    if (log && note && job && T.isTerminal(job.status)) {
      log.add('system', note);
      await log.flush().catch((err: unknown) => this.o.onError(err, `log of ${id}`));
    }
    if (job?.parent_id && T.isTerminal(job.status)) await this.o.onChildEnded(job.parent_id);
    return claimed;
  }

  /** Cleanups run after their job's slot is free; stopAll waits for them. */
  private track(p: Promise<void>): void {
    this.cleanups.add(p);
    void p.finally(() => this.cleanups.delete(p));
  }
}

function stopRun(r: Running, reason: StopReason): void {
  if (r.reason) return;
  r.reason = reason;
  r.controller.abort(reason);
}

/** setTimeout fires at once past 2^31-1 ms (~24.8 days): re-armed in steps until the deadline. */
function armTimeout(entry: Running, deadline: number): void {
  const left = deadline - Date.now();
  entry.timer =
    left > 0x7fffffff
      ? setTimeout(() => armTimeout(entry, deadline), 0x7fffffff)
      : setTimeout(() => stopRun(entry, 'timeout'), Math.max(0, left));
}
