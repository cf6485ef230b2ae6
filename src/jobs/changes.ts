import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import type { JobEngine } from './engine.js';
import { jobDir } from './job-log.js';
import { listSegments } from './log-segments.js';
import { isTerminal, type Job } from './types.js';

/** The steps of a job's life that MCP clients hear about (logging.ts). */
export type JobLifecycle = 'queued' | 'started' | 'promoted' | 'finished' | 'cancelled' | 'lost';

export interface JobChangesEvents {
  /** A job record changed; `lifecycle` is set when the change is one of the lifecycle steps. */
  job: [job: Job, lifecycle: JobLifecycle | undefined];
  /** New lines were logged for a job. */
  lines: [jobId: string];
}

export interface JobChangesOptions {
  readonly engine: JobEngine;
  readonly home: string;
  /** How often the store (and the logs being watched) are checked for changes made by other processes. */
  readonly pollMs?: number;
  readonly onError?: (err: unknown, context: string) => void;
}

interface Seen {
  readonly key: string;
  readonly rank: number;
  readonly status: Job['status'];
}

interface LogWatch {
  watchers: number;
  size: number;
  /** Set when this process logged lines since the last poll (the engine already said so). */
  localLines: boolean;
}

const ENDED_MEMORY = 1000;

/**
 * Job changes as one event stream for the MCP sessions of this process. Jobs executed here arrive through the
 * engine's events at once; jobs executed (or created, or cancelled) by another deckhand process sharing
 * DECKHAND_HOME only show in the store and the log files, so those are polled while anyone listens.
 */
export class JobChanges {
  readonly events = new EventEmitter<JobChangesEvents>();
  private readonly seen = new Map<string, Seen>();
  private readonly ended = new Set<string>();
  private readonly logs = new Map<string, LogWatch>();
  private users = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private primed = false;

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

  /** Also polls this job's log for lines written by another process; the function returned stops that. */
  watchLog(jobId: string): () => void {
    const w = this.logs.get(jobId) ?? { watchers: 0, size: this.logSize(jobId), localLines: false };
    w.watchers += 1;
    this.logs.set(jobId, w);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--w.watchers === 0) this.logs.delete(jobId);
    };
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
    this.logs.clear();
  }

  private readonly onEngineJob = (job: Job) => this.observe(job, false);
  private readonly onEngineLines = (jobId: string) => {
    const w = this.logs.get(jobId);
    if (w) w.localLines = true;
    this.events.emit('lines', jobId);
  };

  private start(): void {
    this.opts.engine.events.on('job', this.onEngineJob);
    this.opts.engine.events.on('lines', this.onEngineLines);
    this.primed = false;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.opts.pollMs ?? 500);
    this.timer.unref();
  }

  private stop(): void {
    this.opts.engine.events.off('job', this.onEngineJob);
    this.opts.engine.events.off('lines', this.onEngineLines);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.seen.clear();
  }

  /** Records a job state and emits it when it is new; stale snapshots from a poll never go back in time. */
  private observe(job: Job, fromPoll: boolean, quiet = false): void {
    if (this.ended.has(job.id)) return;
    const key = JSON.stringify(job);
    const prev = this.seen.get(job.id);
    if (prev?.key === key) return;
    const rank = job.attempt * 2 + (job.status === 'running' ? 1 : 0) + (isTerminal(job.status) ? 1000 : 0);
    if (fromPoll && prev && rank < prev.rank) return;
    if (isTerminal(job.status)) {
      this.seen.delete(job.id);
      this.ended.add(job.id);
      if (this.ended.size > ENDED_MEMORY) this.ended.delete(this.ended.values().next().value as string);
    } else {
      this.seen.set(job.id, { key, rank, status: job.status });
    }
    if (!quiet) this.events.emit('job', job, lifecycleOf(prev?.status, job));
  }

  private async poll(): Promise<void> {
    if (this.polling || this.users === 0) return;
    this.polling = true;
    try {
      const store = this.opts.engine.store;
      const active = await store.active();
      const quiet = !this.primed;
      for (const job of active) this.observe(job, true, quiet);
      const ids = new Set(active.map((j) => j.id));
      for (const id of [...this.seen.keys()]) {
        if (ids.has(id)) continue;
        const job = await store.get(id);
        if (job) this.observe(job, true, quiet);
        else this.seen.delete(id);
      }
      this.primed = true;
      for (const [id, w] of this.logs) {
        const size = this.logSize(id);
        const grew = size > w.size;
        w.size = size;
        if (grew && !w.localLines) this.events.emit('lines', id);
        w.localLines = false;
      }
    } catch (err) {
      this.opts.onError?.(err, 'job changes poll');
    } finally {
      this.polling = false;
    }
  }

  private logSize(jobId: string): number {
    let total = 0;
    for (const file of listSegments(jobDir(this.opts.home, jobId))) {
      try {
        total += fs.statSync(file).size;
      } catch {
        // rolled away between the listing and the stat
      }
    }
    return total;
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
