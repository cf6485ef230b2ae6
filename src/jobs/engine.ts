import { EventEmitter } from 'node:events';
import { monotonicFactory } from 'ulid';
import type { JobsConfig } from '../config.js';
import { DeckhandError } from '../errors.js';
import { BATCH_TYPE, settleBatch } from './batch.js';
import type { EngineEvents } from './events.js';
import type { JobFiles } from './files.js';
import type { JobHandler } from './handler.js';
import { Recovery } from './recovery.js';
import { checkQueuePolicies } from './retry.js';
import { Runs } from './run.js';
import { Scheduler } from './scheduler.js';
import type { ClaimRequest, InstanceRef, NewJobSpec, Stores } from './store/contract.js';
import * as T from './types.js';
import type { Job } from './types.js';

export type { EngineEvents } from './events.js';

export interface EngineOptions {
  readonly stores: Stores;
  readonly files: JobFiles;
  readonly config: JobsConfig;
  readonly instance: InstanceRef & { readonly version: string };
  readonly isAlive: (pid: number) => boolean;
  readonly onError?: (err: unknown, context: string) => void;
  /** How often the queue is looked at without a wake-up (a delayed job coming due, a hint that was missed). */
  readonly pollMs?: number;
}

/** The longest wait a wake-up for a delayed job is set for; a later start is left to the queue's poll. */
const WAKE_MAX_MS = 24 * 3600_000;

/** What a caller asks for; the engine makes the id (or takes one from newId) and the store the rest. */
export type SubmitSpec = Omit<NewJobSpec, 'id'> & { readonly id?: string };

/**
 * The one engine behind every long operation, one per process (an instance of the shared job system). A facade over
 * its parts: the scheduler admits queued jobs within the per-instance and per-server limits, the runs execute them,
 * recovery keeps this instance's heartbeat and takes over the jobs of instances that are gone. Every instance
 * executes; the store makes sure no job runs twice.
 */
export class JobEngine {
  readonly events = new EventEmitter<EngineEvents>();
  private readonly handlers = new Map<string, JobHandler>();
  private readonly runs: Runs;
  private readonly scheduler: Scheduler;
  private readonly recovery: Recovery;
  private readonly ulid = monotonicFactory();
  private poller: NodeJS.Timeout | undefined;
  private repairer: NodeJS.Timeout | undefined;
  /** The earliest start time of a delayed job queued here: admission looks then, not at the next poll. */
  private wake: { at: number; timer: NodeJS.Timeout } | undefined;
  private unwatch: (() => void) | undefined;
  private started = false;
  private stopped = false;

  constructor(private readonly o: EngineOptions) {
    this.events.setMaxListeners(0);
    const onError = (err: unknown, context: string) => o.onError?.(err, context);
    this.runs = new Runs({
      stores: o.stores,
      files: o.files,
      config: o.config,
      events: this.events,
      handler: (type) => this.handlers.get(type),
      claimRequest: () => this.claimRequest(),
      onClaimed: (jobs) => jobs.forEach((j) => this.runs.launch(j, false)),
      onSlotFree: () => this.scheduler.kick(),
      onChildEnded: (parentId) => this.settle(parentId),
      onError,
    });
    this.scheduler = new Scheduler({
      jobs: o.stores.jobs,
      claimRequest: () => this.claimRequest(),
      launch: (job) => {
        this.events.emit('job', job);
        this.runs.launch(job, false);
      },
      onError,
    });
    this.recovery = new Recovery({
      stores: o.stores,
      instance: { ...o.instance, maxJobs: o.config.maxJobs },
      ownerTimeoutMs: o.config.ownerTimeoutS * 1000,
      isAlive: o.isAlive,
      adopt: (jobs) => jobs.forEach((j) => this.runs.launch(j, true)),
      onLostOwnership: () => {
        onError(new Error('this instance was taken for dead and its jobs taken over'), 'ownership');
        void this.runs.stopAll();
      },
      onError,
    });
  }

  get store(): Stores['jobs'] {
    return this.o.stores.jobs;
  }

  get instance(): InstanceRef {
    return this.o.instance;
  }

  /** Says which handler runs jobs of a type; every feature registers its own before start(). */
  register(type: string, handler: JobHandler): void {
    if (this.handlers.has(type)) throw new Error(`A handler for job type "${type}" is already registered.`);
    this.handlers.set(type, handler);
  }

  /** Joins the job system: registers this instance, takes over orphaned jobs, then admits queued ones. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.recovery.start();
    this.unwatch = this.o.stores.changes.watch((c) => {
      // Long-polls here on a job another instance runs wake up on its hints instead of their next poll.
      this.events.emit('hint', c.id);
      if (c.kind !== 'job') return;
      // Another process created, ended or asked to cancel a job: maybe room, maybe work, maybe a stop for us.
      if (this.runs.has(c.id)) void this.checkCancel(c.id);
      this.scheduler.kick();
    });
    this.poller = setInterval(() => this.scheduler.kick(), this.o.pollMs ?? 1000);
    this.poller.unref();
    // A batch whose last child ended while its instance died is settled by whoever looks next.
    this.repairer = setInterval(() => void this.repairBatches(), 30_000);
    this.repairer.unref();
    this.scheduler.kick();
  }

  /** A new job id, for a caller that puts the job's secrets in place (JobFiles) before it submits the job. */
  newId(): string {
    return `job_${this.ulid(Date.now())}`;
  }

  /** Queues a job and, when a slot is free here and no job waits ahead of it, starts it in the same write. */
  async submit(spec: SubmitSpec): Promise<Job> {
    if (this.stopped) throw new DeckhandError('shutting_down', 'deckhand is shutting down.');
    checkQueuePolicies(spec);
    const full: NewJobSpec = { ...spec, id: spec.id ?? this.newId() };
    const claim = this.claimRequest();
    const job = claim
      ? await this.o.stores.jobs.createAndClaim(full, claim)
      : ((await this.o.stores.jobs.create([full], Date.now()))[0] as Job);
    this.events.emit('job', job);
    if (job.status === 'running' && job.owner?.instance === this.o.instance.id) this.runs.launch(job, false);
    else this.scheduler.kick();
    this.wakeFor([job]);
    return job;
  }

  /** Several jobs in one write (a batch parent and its children), then admission. */
  async submitMany(specs: readonly SubmitSpec[]): Promise<Job[]> {
    if (this.stopped) throw new DeckhandError('shutting_down', 'deckhand is shutting down.');
    specs.forEach(checkQueuePolicies);
    const jobs = await this.o.stores.jobs.create(
      specs.map((s) => ({ ...s, id: s.id ?? this.newId() })),
      Date.now(),
    );
    for (const j of jobs) this.events.emit('job', j);
    this.scheduler.kick();
    this.wakeFor(jobs);
    return jobs;
  }

  /**
   * Cancels a queued job at once; asks the owner (this instance or another) to stop a running one. A batch's cancel
   * reaches every child that has not ended; a child's cancel may end its batch.
   */
  async cancel(id: string): Promise<Job | undefined> {
    const job = await this.o.stores.jobs.requestCancel(id, Date.now());
    if (job) this.events.emit('job', job);
    // A job cancelled before it ever started leaves its secret inputs behind otherwise.
    if (job?.status === 'cancelled' && !job.started_at) await this.clearFiles(id);
    this.runs.stop(id, 'cancel');
    if (job?.type === BATCH_TYPE) await this.settle(job.id);
    else if (job?.parent_id && T.isTerminal(job.status)) await this.settle(job.parent_id);
    return (await this.o.stores.jobs.get(id)) ?? job;
  }

  /** Resolves with the job once it is terminal, or with its latest state after `timeoutMs`. */
  async wait(id: string, timeoutMs: number, signal?: AbortSignal): Promise<Job | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await this.o.stores.jobs.get(id);
      if (!job || T.isTerminal(job.status) || Date.now() >= deadline || signal?.aborted) return job;
      await this.nextEvent(id, Math.min(deadline - Date.now(), 200), signal);
    }
  }

  /**
   * Waits for a change to a job (new lines or a new state) or `ms`, whichever first. Resolves with the job's new
   * record for a new state, 'lines' for new output, undefined otherwise (the time ran out, or another instance's
   * hint came, which says that something changed but not what): a waiter reads the store only when it has to.
   */
  nextEvent(id: string, ms: number, signal?: AbortSignal): Promise<Job | 'lines' | undefined> {
    return new Promise((resolve) => {
      const done = (job?: Job | 'lines') => {
        clearTimeout(timer);
        this.events.off('job', onJob);
        this.events.off('lines', onLines);
        this.events.off('hint', onHint);
        signal?.removeEventListener('abort', onAbort);
        resolve(job);
      };
      const onAbort = () => done();
      const onJob = (j: Job) => j.id === id && done(j);
      const onLines = (jid: string) => jid === id && done('lines');
      // Nothing in hand but a hint: the waiter reads the store, as after a quiet spell.
      const onHint = (jid: string) => jid === id && done();
      const timer = setTimeout(onAbort, Math.max(0, ms));
      this.events.on('job', onJob);
      this.events.on('lines', onLines);
      this.events.on('hint', onHint);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Whether some instance of the job system executes jobs now (a hint for people: a cancel waits for one). */
  async executorAlive(): Promise<boolean> {
    if (this.started && this.o.config.maxJobs > 0) return true;
    const staleBefore = Date.now() - this.o.config.ownerTimeoutS * 1000;
    return (await this.o.stores.instances.list()).some((i) => i.max_jobs > 0 && i.heartbeat_at >= staleBefore);
  }

  /** Stops admitting, leaves running jobs running remotely for the next owner, and leaves the job system. */
  async close(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poller);
    clearInterval(this.repairer);
    clearTimeout(this.wake?.timer);
    this.wake = undefined;
    this.unwatch?.();
    await this.scheduler.idle();
    await this.runs.stopAll();
    if (this.started) await this.recovery.stop().catch((err: unknown) => this.o.onError?.(err, 'leaving'));
  }

  /** Arms the wake-up for the earliest delayed job among these (a scheduled run starts at its slot, not up to a poll later). */
  private wakeFor(jobs: readonly Job[]): void {
    const now = Date.now();
    for (const j of jobs) {
      const at = j.status === 'queued' && j.not_before !== null ? Date.parse(j.not_before) : NaN;
      // Far ahead (setTimeout takes at most 2^31-1 ms), the poll sees it come due soon enough.
      if (!(at > now) || at - now > WAKE_MAX_MS || this.stopped || (this.wake && this.wake.at <= at)) continue;
      clearTimeout(this.wake?.timer);
      const timer = setTimeout(
        () => {
          this.wake = undefined;
          this.scheduler.kick();
        },
        at - now + 1,
      );
      timer.unref();
      this.wake = { at, timer };
    }
  }

  private claimRequest(): ClaimRequest | undefined {
    if (this.stopped || !this.started || this.o.config.maxJobs === 0) return undefined;
    return {
      instance: this.o.instance,
      now: Date.now(),
      maxForInstance: this.o.config.maxJobs,
      maxPerServer: this.o.config.maxPerServer,
      max: this.o.config.maxJobs,
    };
  }

  /** A batch's policy and state after one of its children changed (any instance may do this, any number of times). */
  private async settle(parentId: string): Promise<void> {
    try {
      const { parent, stopped } = await settleBatch(this.o.stores, parentId);
      for (const child of stopped) {
        this.events.emit('job', child);
        if (child.status === 'running') this.runs.stop(child.id, 'cancel');
        else if (child.status === 'cancelled' && !child.started_at) await this.clearFiles(child.id);
      }
      if (parent) this.events.emit('job', parent);
    } catch (err) {
      this.o.onError?.(err, `settling batch ${parentId}`);
    }
  }

  private async repairBatches(): Promise<void> {
    try {
      const page = await this.o.stores.jobs.list({ status: 'running', type: BATCH_TYPE }, 100);
      for (const b of page.jobs) await this.settle(b.id);
    } catch (err) {
      this.o.onError?.(err, 'batch repair');
    }
  }

  private async clearFiles(id: string): Promise<void> {
    await this.o.files.clear(id).catch((err: unknown) => this.o.onError?.(err, `clearing the files of ${id}`));
  }

  private async checkCancel(id: string): Promise<void> {
    try {
      const job = await this.o.stores.jobs.get(id);
      if (job?.cancel_requested_at && !T.isTerminal(job.status)) this.runs.stop(id, 'cancel');
    } catch (err) {
      this.o.onError?.(err, 'cancel check');
    }
  }
}
