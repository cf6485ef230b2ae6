import fs from 'node:fs';
import path from 'node:path';
import { decodeTime } from 'ulid';
import { SharedDocument } from '../store/document.js';
import { createJob, isTerminal, type Job, type JobStatus, type NewJob } from './types.js';
import { JobArchive } from './archive.js';
import { commitCompaction, prepareCompaction } from './archive-compact.js';

export interface JobFilter {
  readonly status?: JobStatus | undefined;
  readonly server?: string | undefined;
  readonly type?: string | undefined;
}

export interface JobPage {
  readonly jobs: Job[];
  readonly next_cursor: string | null;
}

/**
 * Where job records live. Every method is safe across processes sharing DECKHAND_HOME.
 * Output never goes here (see JobLog): the document stays small and quick to rewrite.
 */
export interface JobStore {
  create(spec: NewJob, now?: Date, id?: string): Promise<Job>;
  /**
   * Creates a job and, in the same write, starts it when `admit` accepts it and no older job is queued (FIFO):
   * a job that can run at once costs one write instead of two.
   */
  createAndClaim(
    spec: NewJob,
    now: Date,
    id: string,
    admit: (job: Job, running: readonly Job[]) => boolean,
    start: (job: Job) => Job,
  ): Promise<Job>;
  /**
   * Applies a change to a job and, in the same write, starts queued jobs the change made room for (a job that ends
   * frees its slot for the next one without a second write).
   */
  updateAndClaim(
    id: string,
    change: (job: Job) => Job | undefined,
    admit: (job: Job, running: readonly Job[]) => boolean,
    start: (job: Job) => Job,
    max: number,
  ): Promise<{ job: Job | undefined; claimed: Job[] }>;
  get(id: string): Promise<Job | undefined>;
  /** Applies a change under the store lock; `change` returns the new record, or undefined to leave it. */
  update(id: string, change: (job: Job) => Job | undefined): Promise<Job | undefined>;
  /** Picks queued jobs in FIFO order that `admit` accepts and starts them, atomically. */
  claim(admit: (job: Job, running: readonly Job[]) => boolean, start: (job: Job) => Job, max: number): Promise<Job[]>;
  active(): Promise<Job[]>;
  list(filter: JobFilter, limit: number, cursor?: string): Promise<JobPage>;
  prune(now?: Date): Promise<number>;
  /** Drops archived jobs that ended before the archive retention; answers how many. */
  compactArchive(now?: Date): Promise<number>;
  readonly file: string;
}

interface JobsDoc {
  version: 1;
  jobs: Job[];
}

export interface RetentionPolicy {
  readonly keepFinished: number;
  readonly keepDays: number;
  /** Archived jobs that ended longer ago than this are dropped; without it the archive keeps them all. */
  readonly archiveDays?: number;
}

export class LowdbJobStore implements JobStore {
  private readonly doc: SharedDocument<JobsDoc>;
  private readonly archive: JobArchive;

  constructor(
    home: string,
    private readonly retention: RetentionPolicy,
  ) {
    fs.mkdirSync(home, { recursive: true, mode: 0o700 });
    this.doc = new SharedDocument<JobsDoc>(path.join(home, 'jobs.json'), () => ({ version: 1, jobs: [] }), {
      // Rewritten on every change and read by no one but deckhand: compact JSON is a third smaller and quicker.
      indent: 0,
      // Changes replace records and never mutate one (update and claim hand out copies), so copying the list is
      // enough to keep the cached document untouched until the write succeeds.
      draft: (d) => ({ ...d, jobs: [...d.jobs] }),
    });
    this.archive = new JobArchive(path.join(home, 'jobs-archive.jsonl'));
  }

  get file(): string {
    return this.doc.path;
  }

  async create(spec: NewJob, now = new Date(), id?: string): Promise<Job> {
    const job = createJob(spec, now, id);
    await this.doc.update((d) => {
      d.jobs.push(job);
    });
    return job;
  }

  async createAndClaim(
    spec: NewJob,
    now: Date,
    id: string,
    admit: (job: Job, running: readonly Job[]) => boolean,
    start: (job: Job) => Job,
  ): Promise<Job> {
    const job = createJob(spec, now, id);
    return this.doc.update((d) => {
      const waiting = d.jobs.some((j) => j.status === 'queued' && !j.cancel_requested_at);
      const running = d.jobs.filter((j) => j.status === 'running');
      const next = !waiting && admit(job, running) ? start(job) : job;
      d.jobs.push(next);
      return next;
    });
  }

  async get(id: string): Promise<Job | undefined> {
    const d = await this.doc.read();
    return d.jobs.find((j) => j.id === id) ?? (await this.archive.get(id));
  }

  async update(id: string, change: (job: Job) => Job | undefined): Promise<Job | undefined> {
    return this.doc.update((d) => {
      const i = d.jobs.findIndex((j) => j.id === id);
      if (i < 0) return undefined;
      const next = change(structuredClone(d.jobs[i] as Job));
      if (next) d.jobs[i] = next;
      return next ?? d.jobs[i];
    });
  }

  async claim(
    admit: (job: Job, running: readonly Job[]) => boolean,
    start: (job: Job) => Job,
    max: number,
  ): Promise<Job[]> {
    const quick = await this.doc.read();
    if (!quick.jobs.some((j) => j.status === 'queued')) return [];
    return this.doc.update((d) => claimIn(d, admit, start, max));
  }

  async updateAndClaim(
    id: string,
    change: (job: Job) => Job | undefined,
    admit: (job: Job, running: readonly Job[]) => boolean,
    start: (job: Job) => Job,
    max: number,
  ): Promise<{ job: Job | undefined; claimed: Job[] }> {
    return this.doc.update((d) => {
      const i = d.jobs.findIndex((j) => j.id === id);
      if (i < 0) return { job: undefined, claimed: [] };
      const next = change(structuredClone(d.jobs[i] as Job));
      if (next) d.jobs[i] = next;
      return { job: next ?? d.jobs[i], claimed: claimIn(d, admit, start, max) };
    });
  }

  async active(): Promise<Job[]> {
    return (await this.doc.read()).jobs.filter((j) => !isTerminal(j.status));
  }

  async list(filter: JobFilter, limit: number, cursor?: string): Promise<JobPage> {
    const d = await this.doc.read();
    const kept = (j: Pick<Job, 'status' | 'server' | 'type'>) =>
      (!filter.status || j.status === filter.status) &&
      (!filter.server || j.server === filter.server) &&
      (!filter.type || j.type === filter.type);
    // Merged by id, newest first: the document is in write order (ids are made before the lock is taken), and the
    // archive can hold jobs newer than a long-running one still in the document. A job in both (a crash between the
    // archive append and the rewrite) is the document's. One more than the page tells whether another page follows.
    const inDoc = new Set(d.jobs.map((j) => j.id));
    const fresh = d.jobs.filter((j) => kept(j) && (!cursor || j.id < cursor)).sort((a, b) => (a.id < b.id ? 1 : -1));
    const old = await this.archive.newest(limit + 1, (s) => !inDoc.has(s.id) && kept(s), cursor);
    const out: Job[] = [];
    for (let i = 0, k = 0; out.length <= limit;) {
      const a = fresh[i];
      const b = old[k];
      if (!a && !b) break;
      if (b && (!a || b.id > a.id)) {
        out.push(b);
        k++;
      } else {
        out.push(a as Job);
        i++;
      }
    }
    const page = out.slice(0, limit);
    return { jobs: page, next_cursor: out.length > limit ? (page.at(-1)?.id ?? null) : null };
  }

  /** Moves finished jobs past the retention policy to the append-only archive, keeping the document small. */
  async prune(now = new Date()): Promise<number> {
    const cutoff = now.getTime() - this.retention.keepDays * 86_400_000;
    const d0 = await this.doc.read();
    const finished0 = d0.jobs.filter((j) => isTerminal(j.status));
    if (
      finished0.length <= this.retention.keepFinished &&
      !finished0.some((j) => Date.parse(j.finished_at ?? j.created_at) < cutoff)
    )
      return 0;
    let moved: Job[] = [];
    await this.doc.update((d) => {
      const finished = d.jobs.filter((j) => isTerminal(j.status));
      const excess = new Set(
        finished.slice(0, Math.max(0, finished.length - this.retention.keepFinished)).map((j) => j.id),
      );
      for (const j of finished) if (Date.parse(j.finished_at ?? j.created_at) < cutoff) excess.add(j.id);
      moved = d.jobs.filter((j) => excess.has(j.id));
      // Archive first: a crash between the two writes duplicates a record in the archive, never loses one.
      this.archive.appendSync(moved);
      d.jobs = d.jobs.filter((j) => !excess.has(j.id));
    });
    return moved.length;
  }

  async compactArchive(now = new Date()): Promise<number> {
    const days = this.retention.archiveDays;
    if (days === undefined) return 0;
    const cutoff = now.getTime() - days * 86_400_000;
    // Ids sort by creation: when the oldest was created after the cutoff, none can have ended before it.
    const oldest = await this.archive.oldestId();
    if (oldest === undefined || decodeTime(oldest.slice('job_'.length)) >= cutoff) return 0;
    const file = this.archive.path;
    const plan = await prepareCompaction(file, (j) => Date.parse(j.finished_at ?? j.created_at) >= cutoff);
    if (!plan) return 0;
    // Under the lock appends take, so none lands between copying the tail and the rename.
    try {
      const done = await this.doc.update(() => commitCompaction(file, plan));
      return done ? plan.dropped : 0;
    } finally {
      fs.rmSync(plan.tmp, { force: true });
    }
  }
}

/** Starts queued jobs in FIFO order that `admit` accepts, in the document being written. */
function claimIn(
  d: JobsDoc,
  admit: (job: Job, running: readonly Job[]) => boolean,
  start: (job: Job) => Job,
  max: number,
): Job[] {
  const running = d.jobs.filter((j) => j.status === 'running');
  const claimed: Job[] = [];
  for (let i = 0; i < d.jobs.length && claimed.length < max; i++) {
    const j = d.jobs[i] as Job;
    if (j.status !== 'queued' || j.cancel_requested_at) continue;
    if (!admit(j, running)) continue;
    const started = start(structuredClone(j));
    d.jobs[i] = started;
    running.push(started);
    claimed.push(started);
  }
  return claimed;
}
