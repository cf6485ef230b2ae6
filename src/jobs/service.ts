import { NotFoundError, ValidationError } from '../errors.js';
import { readAttempts, type AttemptReadResult } from './attempt-logs.js';
import type { JobEngine } from './engine.js';
import { attemptLogKey } from './log/keys.js';
import { poolStatus, type PoolStatus } from './pool.js';
import type { JobFilter, JobPage, StatusCounts, Stores, StreamSummary } from './store/contract.js';
import { currentAttempt, isJobId, isTerminal, type Job } from './types.js';

export interface StatusInput {
  job_id: string;
  tail_logs: number;
  cursor?: number | undefined;
  wait_s: number;
  stream: 'all' | 'stdout' | 'stderr';
  grep?: string | undefined;
  /** An earlier attempt's lines (1 the first); default the current attempt, a cursor reading on across attempts. */
  attempt?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface ReadInput {
  cursor?: number | undefined;
  limit: number;
  stream?: 'all' | 'stdout' | 'stderr';
  grep?: RegExp | undefined;
  attempt?: number | undefined;
}

/**
 * What the MCP tools and the CLI ask of jobs of any type: a job's record and log (with a long-poll), lists, cancel.
 * The kernel's one facade for readers; features start their own jobs through the engine.
 */
export class JobService {
  constructor(
    private readonly o: {
      readonly engine: JobEngine;
      readonly stores: Stores;
      /** What the pool view measures against (this instance's settings). */
      readonly limits?: { readonly ownerTimeoutS: number; readonly maxPerServer: number };
    },
  ) {}

  /** The instances sharing the job system, their slots, per-server counts and the queue, as one snapshot. */
  async pool(): Promise<PoolStatus> {
    const [instances, active] = await Promise.all([this.o.stores.instances.list(), this.o.stores.jobs.active()]);
    const self = this.o.engine.instance.id;
    return poolStatus({
      instances,
      active,
      now: Date.now(),
      ownerTimeoutMs: (this.o.limits?.ownerTimeoutS ?? 15) * 1000,
      maxPerServer: this.o.limits?.maxPerServer ?? 4,
      self: instances.some((i) => i.id === self) ? self : undefined,
      store: { kind: this.o.stores.kind, location: this.o.stores.location },
    });
  }

  async get(id: string): Promise<Job> {
    if (!isJobId(id)) {
      throw new ValidationError(
        `"${id.slice(0, 80)}" is not a job id.`,
        'Job ids look like job_01JD3Q8X5K2M7N4P6R8S0T2V4W; list-jobs shows them.',
      );
    }
    const job = await this.o.stores.jobs.get(id);
    if (!job)
      throw new NotFoundError(
        'unknown_job',
        `No job ${id}.`,
        'It may have been pruned by retention; list-jobs shows the known ones.',
      );
    return job;
  }

  /** The job and a page of its log; with wait_s, waits for new lines (after the cursor) or the job's end. */
  async status(input: StatusInput): Promise<{ job: Job; log: AttemptReadResult }> {
    let grep: RegExp | undefined;
    if (input.grep !== undefined) {
      try {
        grep = new RegExp(input.grep);
      } catch (err) {
        throw new ValidationError(
          `grep is not a valid regular expression: ${(err as Error).message}.`,
          'Use JavaScript regular expression syntax, e.g. "error|warn".',
        );
      }
    }
    let job = await this.get(input.job_id);
    const read = () =>
      readAttempts(this.o.stores.logs, job, {
        cursor: input.cursor,
        limit: input.tail_logs,
        stream: input.stream,
        grep,
        attempt: input.attempt,
      });
    let log = await read();
    if (input.wait_s > 0 && !isTerminal(job.status) && (input.cursor === undefined || log.lines.length === 0)) {
      const deadline = Date.now() + input.wait_s * 1000;
      const startTotal = log.total_lines;
      while (Date.now() < deadline && !input.signal?.aborted) {
        await this.o.engine.nextEvent(job.id, Math.min(250, deadline - Date.now()), input.signal);
        job = await this.get(job.id);
        log = await read();
        if (
          isTerminal(job.status) ||
          (input.cursor !== undefined ? log.lines.length > 0 : log.total_lines > startTotal)
        )
          break;
      }
    }
    return { job, log };
  }

  /** A page of the job's log, numbered on across its attempts (attempt-logs.ts). */
  async read(id: string, opts: ReadInput): Promise<AttemptReadResult> {
    const job = await this.o.stores.jobs.get(id);
    if (!job) return { ...(await this.o.stores.logs.read(id, opts)), attempt: 1, attempts: 1 };
    return readAttempts(this.o.stores.logs, job, opts);
  }

  /**
   * A stream of a job's output as a finished command's answer shows it: head and tail within the caps, of its
   * current (or last) attempt.
   */
  summarize(
    job: Pick<Job, 'id' | 'status' | 'attempts'>,
    stream: 'stdout' | 'stderr',
    caps: { headLines: number; tailLines: number; maxBytes: number },
  ): Promise<StreamSummary> {
    return this.o.stores.logs.summarize(attemptLogKey(job.id, currentAttempt(job)), stream, caps);
  }

  /** A batch's children by status. */
  countChildren(parentId: string): Promise<StatusCounts> {
    return this.o.stores.jobs.countChildren(parentId);
  }

  /** Every child of a batch, in the store's order (a batch names at most a few thousand servers). */
  async children(parentId: string): Promise<Job[]> {
    const out: Job[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.o.stores.jobs.list({ parent_id: parentId }, 1000, cursor);
      out.push(...page.jobs);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return out;
  }

  async list(filter: JobFilter, limit: number, cursor?: string): Promise<JobPage> {
    if (cursor !== undefined && !isJobId(cursor))
      throw new ValidationError('cursor is not a job id.', 'Pass back next_cursor from the previous page.');
    return this.o.stores.jobs.list(filter, limit, cursor);
  }

  /** The job once it ended, or as it is after `timeoutMs`. */
  async wait(id: string, timeoutMs: number, signal?: AbortSignal): Promise<Job> {
    return (await this.o.engine.wait(id, timeoutMs, signal)) ?? (await this.get(id));
  }

  /** Asks for a cancel and answers at once: the job as the request left it (the owner then stops it). */
  async requestCancel(id: string): Promise<Job> {
    await this.get(id);
    return (await this.o.engine.cancel(id)) ?? (await this.get(id));
  }

  /** Whether some deckhand process executes jobs on this home now (a hint for people: a request waits for one). */
  executorAlive(): Promise<boolean> {
    return this.o.engine.executorAlive();
  }

  async cancel(id: string): Promise<{ job: Job; already: boolean }> {
    const before = await this.get(id);
    if (isTerminal(before.status)) return { job: before, already: true };
    await this.o.engine.cancel(id);
    // Wait for the executing process to confirm the kill (it records the outcome).
    const after = (await this.o.engine.wait(id, 15_000)) ?? before;
    return { job: after, already: false };
  }
}
