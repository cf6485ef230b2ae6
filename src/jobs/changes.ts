import { EventEmitter } from 'node:events';
import type { JobEngine } from './engine.js';
import type { StoreChange, Stores } from './store/contract.js';
import { isTerminal, type Job } from './types.js';

/** The steps of a job's life that MCP clients hear about (mcp/logging.ts). */
export type JobLifecycle = 'queued' | 'started' | 'promoted' | 'finished' | 'cancelled' | 'lost';

export interface JobChangesEvents {
  /** A job record changed; `lifecycle` is set when the change is one of the lifecycle steps. */
  job: [job: Job, lifecycle: JobLifecycle | undefined];
  /** New lines were logged for a job. */
  lines: [jobId: string];
}

export interface JobChangesOptions {
  readonly engine: JobEngine;
  readonly stores: Pick<Stores, 'jobs' | 'changes'>;
  readonly onError?: (err: unknown, context: string) => void;
}

interface Seen {
  readonly key: string;
  readonly rank: number;
  readonly status: Job['status'];
}

const ENDED_MEMORY = 1000;

/** A job first seen already ended this long ago (restored, imported, written by a tool) is history, not news. */
const STALE_END_MS = 60_000;

/**
 * Job changes as one event stream for the MCP sessions of this process. Jobs executed here arrive through the
 * engine's events at once; jobs created, executed or cancelled by another process or instance arrive as the store's
 * change hints (SQLite: its revision and log files, looked at every 100 ms; PostgreSQL: NOTIFY), followed by a read of
 * the record. Only while anyone listens.
 */
export class JobChanges {
  readonly events = new EventEmitter<JobChangesEvents>();
  private readonly seen = new Map<string, Seen>();
  private readonly ended = new Set<string>();
  private users = 0;
  private unwatch: (() => void) | undefined;
  /** Jobs hinted at by the store and not read yet: read one at a time, so a burst of hints is a queue, not a flood. */
  private readonly hinted = new Set<string>();
  private reading: Promise<void> | undefined;

  constructor(private readonly opts: JobChangesOptions) {
    this.events.setMaxListeners(0);
  }

  /** Follows jobs for one more consumer (a session); the function returned lets go (idempotent). */
  retain(): () => void {
    if (this.users++ === 0) this.start();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.users === 0) this.stop();
    };
  }

  /**
   * Lines of jobs run elsewhere arrive as store hints whether or not a log is watched; kept so a reader can say what
   * it follows. The function returned stops it.
   */
  watchLog(_jobId: string): () => void {
    return () => undefined;
  }

  /** A tool call answered with the job's id while the job keeps running (auto mode gave up waiting). */
  promoted(job: Job): void {
    this.events.emit('job', job, 'promoted');
  }

  get listening(): boolean {
    return this.users > 0;
  }

  close(): void {
    this.users = 0;
    this.stop();
  }

  private readonly onEngineJob = (job: Job) => this.observe(job, false);
  private readonly onEngineLines = (jobId: string) => this.events.emit('lines', jobId);
  private readonly onHint = (c: StoreChange) => {
    if (c.kind === 'lines') {
      this.events.emit('lines', c.id);
      return;
    }
    this.hinted.add(c.id);
    this.readHinted();
  };

  private readHinted(): void {
    if (this.reading || this.hinted.size === 0 || this.users === 0) return;
    this.reading = (async () => {
      for (const id of this.hinted) {
        this.hinted.delete(id);
        try {
          const job = await this.opts.stores.jobs.get(id);
          if (job && this.users > 0) this.observe(job, true);
        } catch (err) {
          this.opts.onError?.(err, 'job changes');
        }
      }
    })().finally(() => {
      this.reading = undefined;
      this.readHinted();
    });
  }

  private start(): void {
    this.opts.engine.events.on('job', this.onEngineJob);
    this.opts.engine.events.on('lines', this.onEngineLines);
    this.unwatch = this.opts.stores.changes.watch(this.onHint);
    // What is active now is where lifecycle steps start from, not news.
    this.opts.stores.jobs
      .active()
      .then((jobs) => jobs.forEach((j) => this.observe(j, true, true)))
      .catch((err: unknown) => this.opts.onError?.(err, 'job changes'));
  }

  private stop(): void {
    this.opts.engine.events.off('job', this.onEngineJob);
    this.opts.engine.events.off('lines', this.onEngineLines);
    this.unwatch?.();
    this.unwatch = undefined;
    this.seen.clear();
    this.hinted.clear();
  }

  /** Records a job state and emits it when it is new; stale snapshots from the store never go back in time. */
  private observe(job: Job, fromStore: boolean, quiet = false): void {
    if (this.ended.has(job.id)) return;
    const key = JSON.stringify(job);
    const prev = this.seen.get(job.id);
    if (prev?.key === key) return;
    const finished = job.finished_at === null ? NaN : Date.parse(job.finished_at);
    if (fromStore && !prev && isTerminal(job.status) && Date.now() - finished > STALE_END_MS) quiet = true;
    // A retry puts a running job back in the queue: its ended attempts count, so that is news, not a stale snapshot.
    const rank =
      (job.attempt + job.attempts.length) * 2 +
      (job.status === 'running' ? 1 : 0) +
      (isTerminal(job.status) ? 1000 : 0);
    if (fromStore && prev && rank < prev.rank) return;
    if (isTerminal(job.status)) {
      this.seen.delete(job.id);
      this.ended.add(job.id);
      if (this.ended.size > ENDED_MEMORY) this.ended.delete(this.ended.values().next().value as string);
    } else {
      this.seen.set(job.id, { key, rank, status: job.status });
    }
    if (!quiet) this.events.emit('job', job, lifecycleOf(prev?.status, job));
  }
}

function lifecycleOf(prev: Job['status'] | undefined, job: Job): JobLifecycle | undefined {
  switch (job.status) {
    case 'queued':
      return prev === undefined ? 'queued' : undefined;
    case 'running':
      return prev !== 'running' ? 'started' : undefined;
    case 'cancelled':
      return 'cancelled';
    case 'lost':
      return 'lost';
    default:
      return 'finished';
  }
}
