import { EventEmitter } from 'node:events';
import { monotonicFactory } from 'ulid';
import type { JobsConfig } from '../config.js';
import { DeckhandError } from '../errors.js';
import type { JobContext, JobHandler, HandlerOutcome, StopReason } from './handler.js';
import { jobDir, JobLogWriter } from './job-log.js';
import { EngineLease } from './lease.js';
import type { JobFiles } from './files.js';
import { Housekeeper } from './housekeeping.js';
import { applyOutcome, outcomeLine } from './outcome.js';
import type { JobStore } from './store.js';
import * as T from './types.js';
import type { Job, NewJob } from './types.js';

export interface EngineEvents {
  job: [Job];
  lines: [string, number];
}

export interface EngineOptions {
  readonly home: string;
  readonly store: JobStore;
  readonly config: JobsConfig;
  readonly files: JobFiles;
  readonly onError?: (err: unknown, context: string) => void;
  /** How often the store is checked for work created, or cancels requested, by other processes. */
  readonly pollMs?: number;
  /** How often finished jobs' logs are checked against the retention policy (default 10 minutes). */
  readonly logSweepMs?: number;
}

interface Finished {
  readonly cleanup?: (() => Promise<void>) | undefined;
  readonly claimed: Job[];
}

interface Running {
  controller: AbortController;
  reason: StopReason | undefined;
  timer: NodeJS.Timeout | undefined;
  done: Promise<void>;
}

/**
 * The one engine behind every long operation: a persisted FIFO queue with global and per-server limits,
 * executed by whichever process holds the lease, with cancellation, timeouts and recovery after a crash.
 */
export class JobEngine {
  readonly events = new EventEmitter<EngineEvents>();
  private readonly running = new Map<string, Running>();
  private readonly handlers = new Map<string, JobHandler>();
  private readonly cleanups = new Set<Promise<void>>();
  private readonly lease: EngineLease;
  private poller: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private tickAgain = false;
  private stopped = false;
  private lastPrune = 0;
  private readonly housekeeper: Housekeeper;
  // Ids sort in creation order even within one millisecond.
  private readonly ulid = monotonicFactory();

  constructor(private readonly opts: EngineOptions) {
    this.events.setMaxListeners(0);
    this.lease = new EngineLease(opts.home, () => this.onLeaseLost());
    this.housekeeper = new Housekeeper({ ...opts, everyMs: opts.logSweepMs });
  }

  /** Says which handler runs jobs of a type; every feature registers its own before start(). */
  register(type: string, handler: JobHandler): void {
    if (this.handlers.has(type)) throw new Error(`A handler for job type "${type}" is already registered.`);
    this.handlers.set(type, handler);
  }

  get store(): JobStore {
    return this.opts.store;
  }

  /** Whether some process (this one or another) holds the lease and so executes jobs. */
  executorAlive(): boolean {
    return this.lease.held || EngineLease.isHeld(this.opts.home);
  }

  get isOwner(): boolean {
    return this.lease.held;
  }

  /** Starts polling for the lease and for work; returns once the first attempt is made. */
  async start(): Promise<void> {
    await this.poll();
    this.poller = setInterval(() => void this.poll(), this.opts.pollMs ?? 250);
    this.poller.unref();
  }

  /** A new job id, for a caller that puts the job's secrets in place (JobFiles) before it submits the job. */
  newId(): string {
    return `job_${this.ulid(Date.now())}`;
  }

  /** Queues a job (under `id` when the caller made one with newId) and starts it at once when a slot is free. */
  async submit(spec: NewJob & { id?: string }): Promise<Job> {
    if (this.stopped) throw new DeckhandError('shutting_down', 'deckhand is shutting down.');
    const { id: given, ...rest } = spec;
    const now = new Date();
    const id = given ?? `job_${this.ulid(now.getTime())}`;
    if (!this.lease.held) {
      // Another process executes jobs: it picks this one up from the store.
      const job = await this.opts.store.create(rest, now, id);
      this.events.emit('job', job);
      return job;
    }
    const job = await this.opts.store.createAndClaim(rest, now, id, this.admit, (j) => T.startJob(j, now));
    this.events.emit('job', job);
    if (job.status === 'running') this.launch(job, false);
    else this.kick();
    return job;
  }

  /** The global and per-server limits, against the jobs running now. */
  private readonly admit = (job: Job, running: readonly Job[]): boolean => {
    const { maxJobs, maxPerServer } = this.opts.config;
    return (
      running.length < maxJobs &&
      (job.server === null || running.filter((r) => r.server === job.server).length < maxPerServer)
    );
  };

  /** Cancels a queued job at once; asks the executing process to stop a running one. */
  async cancel(id: string): Promise<Job | undefined> {
    const now = new Date();
    const job = await this.opts.store.update(id, (j) => T.cancelOrRequest(j, now));
    if (job) this.events.emit('job', job);
    const r = this.running.get(id);
    if (r) this.stopRun(r, 'cancel');
    return job;
  }

  /** Resolves with the job once it is terminal, or with its latest state after `timeoutMs`. */
  async wait(id: string, timeoutMs: number, signal?: AbortSignal): Promise<Job | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await this.opts.store.get(id);
      if (!job || T.isTerminal(job.status) || Date.now() >= deadline || signal?.aborted) return job;
      await this.nextEvent(id, Math.min(deadline - Date.now(), 200), signal);
    }
  }

  /**
   * Waits for a change to a job (new lines or a new state) or `ms`, whichever first. Resolves with the job's new
   * record for a new state, 'lines' for new output, undefined otherwise: a waiter reads the store only when it
   * has to (this process's events say nothing about a job another process executes).
   */
  nextEvent(id: string, ms: number, signal?: AbortSignal): Promise<Job | 'lines' | undefined> {
    return new Promise((resolve) => {
      const done = (job?: Job | 'lines') => {
        clearTimeout(timer);
        this.events.off('job', onJob);
        this.events.off('lines', onLines);
        signal?.removeEventListener('abort', onAbort);
        resolve(job);
      };
      const onAbort = () => done();
      const onJob = (j: Job) => j.id === id && done(j);
      const onLines = (jid: string) => jid === id && done('lines');
      const timer = setTimeout(onAbort, Math.max(0, ms));
      this.events.on('job', onJob);
      this.events.on('lines', onLines);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    for (const r of this.running.values()) this.stopRun(r, 'shutdown');
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    await Promise.allSettled([...this.cleanups, this.housekeeper.close()]);
    await this.lease.releaseLease();
  }

  private kick(): void {
    if (!this.lease.held || this.stopped) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    this.ticking = this.tick()
      .catch((err: unknown) => this.opts.onError?.(err, 'scheduling'))
      .finally(() => {
        this.ticking = undefined;
        if (this.tickAgain) {
          this.tickAgain = false;
          this.kick();
        }
      });
  }

  private async tick(): Promise<void> {
    const now = new Date();
    const claimed = await this.opts.store.claim(this.admit, (job) => T.startJob(job, now), this.opts.config.maxJobs);
    for (const job of claimed) {
      this.events.emit('job', job);
      this.launch(job, false);
    }
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    try {
      if (!this.lease.held && !(await this.lease.tryAcquire())) return;
      // Reconcile: every running job belongs to this process once it holds the lease.
      for (const job of await this.opts.store.active()) {
        const mine = this.running.get(job.id);
        if (job.status === 'running' && !mine) {
          // Not run by us as of now; but our own run may have finished it since `active()` was read (then running it
          // again would rerun the command): take it up only if it is still running now.
          const fresh = await this.opts.store.get(job.id);
          if (fresh?.status === 'running') this.launch(fresh, true);
        } else if (mine && job.cancel_requested_at) this.stopRun(mine, 'cancel');
        else if (job.status === 'queued') this.kick();
      }
      if (Date.now() - this.lastPrune > 30_000) {
        this.lastPrune = Date.now();
        await this.opts.store.prune();
      }
      this.housekeeper.poke();
    } catch (err) {
      this.opts.onError?.(err, 'poll');
    }
  }

  private onLeaseLost(): void {
    this.opts.onError?.(new Error('engine lease lost'), 'lease');
    for (const r of this.running.values()) this.stopRun(r, 'shutdown');
  }

  private stopRun(r: Running, reason: StopReason): void {
    if (r.reason) return;
    r.reason = reason;
    r.controller.abort(reason);
  }

  private launch(job: Job, recovering: boolean): void {
    // A job claimed by a tick is already 'running' in the store before the tick launches it, so a reconcile (or two
    // overlapping ones) can reach here for a job that is, or is about to be, running here: run it once.
    if (this.running.has(job.id)) return;
    const handler = this.handlers.get(job.type);
    const controller = new AbortController();
    const entry: Running = { controller, reason: undefined, timer: undefined, done: Promise.resolve() };
    this.running.set(job.id, entry);
    const deadline = Date.parse(job.started_at ?? new Date().toISOString()) + job.timeout_s * 1000;
    // setTimeout fires at once for delays past 2^31-1 ms (~24.8 days): re-arm in steps until the deadline.
    const arm = () => {
      const left = deadline - Date.now();
      entry.timer =
        left > 0x7fffffff
          ? setTimeout(arm, 0x7fffffff)
          : setTimeout(() => this.stopRun(entry, 'timeout'), Math.max(0, left));
    };
    arm();
    if (job.cancel_requested_at) this.stopRun(entry, 'cancel');
    const log = new JobLogWriter(
      jobDir(this.opts.home, job.id),
      { maxBytes: this.opts.config.logMaxBytes },
      this.events,
      job.id,
    );
    const ctx: JobContext = {
      job,
      recovering,
      signal: controller.signal,
      stopReason: () => entry.reason,
      log,
      files: this.opts.files.forJob(job.id),
      note: (text) => {
        log.add('system', text);
        log.flush();
      },
      progress: (p) => {
        void this.opts.store
          .update(job.id, (j) => (T.isTerminal(j.status) ? undefined : T.setProgress(j, p)))
          .then((j) => j && this.events.emit('job', j))
          .catch((err: unknown) => this.opts.onError?.(err, 'progress'));
      },
      setRuntime: async (r) => {
        await this.opts.store.update(job.id, (j) => T.setRuntime(j, r));
      },
    };
    const run = async (): Promise<HandlerOutcome> => {
      if (!handler)
        return { kind: 'failed', error: { code: 'unknown_type', message: `No handler for job type "${job.type}".` } };
      return handler.run(ctx);
    };
    entry.done = run()
      .catch((err: unknown): HandlerOutcome => ({
        kind: 'failed',
        error: {
          code: err instanceof DeckhandError ? err.code : 'internal_error',
          message: err instanceof Error ? err.message : String(err),
        },
      }))
      .then((outcome) => this.finish(job.id, outcome, log))
      .catch((err: unknown): Finished => {
        this.opts.onError?.(err, `finishing ${job.id}`);
        return { claimed: [] };
      })
      .then(({ cleanup, claimed }) => {
        clearTimeout(entry.timer);
        log.close();
        // The slot frees as soon as the outcome is recorded: the next queued job need not wait for a cleanup.
        // Jobs started in its place launch once it is gone from `running` (a requeued job may be among them).
        this.running.delete(job.id);
        for (const next of claimed) this.launch(next, false);
        this.kick();
        if (cleanup) this.track(cleanup().catch((err: unknown) => this.opts.onError?.(err, `cleanup of ${job.id}`)));
      });
  }

  /** Cleanups run after their job's slot is free; close() waits for them. */
  private track(p: Promise<void>): void {
    this.cleanups.add(p);
    void p.finally(() => this.cleanups.delete(p));
  }

  /** Records the outcome; answers the cleanup to run once it is recorded, and the queued jobs started in its place. */
  private async finish(id: string, o: HandlerOutcome, log: JobLogWriter): Promise<Finished> {
    if (o.kind === 'abandon') return { claimed: [] };
    const now = new Date();
    log.add('system', outcomeLine(o));
    log.flush();
    const change = (j: Job) => applyOutcome(j, o, now);
    // The outcome and the next queued jobs' start in one write: the slot passes on at once.
    const { job, claimed } =
      this.lease.held && !this.stopped
        ? await this.opts.store.updateAndClaim(
            id,
            change,
            this.admit,
            (j) => T.startJob(j, now),
            this.opts.config.maxJobs,
          )
        : { job: await this.opts.store.update(id, change), claimed: [] };
    if (job) this.events.emit('job', job);
    for (const next of claimed) this.events.emit('job', next);
    return { cleanup: o.cleanup, claimed };
  }
}
