import type { Config } from '../config.js';
import { DeckhandError, NotFoundError, ValidationError } from '../errors.js';
import type { Inventory } from '../servers/inventory.js';
import type { ServerRecord } from '../servers/types.js';
import type { JobEngine } from '../jobs/engine.js';
import { jobDir } from '../jobs/job-log.js';
import { readLog, type ReadResult } from '../jobs/log-reader.js';
import type { JobFilter, JobPage } from '../jobs/store.js';
import { summarizeStream } from '../jobs/summary.js';
import { isJobId, isTerminal, type Job } from '../jobs/types.js';
import { writeSecretEnv } from '../jobs/files.js';
import type { RemoteBashParams } from './handler.js';

export type RunMode = 'auto' | 'sync' | 'background';

export interface RemoteBashInput {
  server: string;
  command: string;
  timeout_s?: number | undefined;
  cwd?: string | undefined;
  env?: Record<string, string> | undefined;
  mode: RunMode;
  sync_wait_s: number;
  signal?: AbortSignal | undefined;
  /** Called while waiting, with the newest output line, for progress notifications. */
  onWaitTick?: ((job: Job, lastLine: string | undefined) => void) | undefined;
}

export interface CommandResult {
  status: 'completed' | 'failed' | 'cancelled' | 'lost';
  exit_code: number | null;
  signal: string | null;
  error?: { code: string; message: string };
  stdout: string;
  stderr: string;
  duration_ms: number;
  truncated: { stdout: boolean; stderr: boolean };
  job_id: string;
}

export type RemoteBashOutcome =
  { kind: 'finished'; job: Job; result: CommandResult } | { kind: 'running'; job: Job; tail: ReadResult };

export interface StatusInput {
  job_id: string;
  tail_logs: number;
  cursor?: number | undefined;
  wait_s: number;
  stream: 'all' | 'stdout' | 'stderr';
  grep?: string | undefined;
  signal?: AbortSignal | undefined;
}

const SIGNALS: Record<number, string> = {
  1: 'HUP',
  2: 'INT',
  3: 'QUIT',
  6: 'ABRT',
  9: 'KILL',
  13: 'PIPE',
  14: 'ALRM',
  15: 'TERM',
};

export class JobService {
  constructor(
    private readonly engine: JobEngine,
    private readonly inventory: Inventory,
    private readonly config: Config,
    /** Proves the server answers (from the pool: free when a connection is open) before a job is queued. */
    private readonly checkReachable: (server: ServerRecord, signal?: AbortSignal) => Promise<void>,
  ) {}

  async remoteBash(input: RemoteBashInput): Promise<RemoteBashOutcome> {
    const server = await this.inventory.get(input.server);
    // A server that cannot be reached now is the caller's problem to fix (address, key, host key): say so at once
    // instead of queueing a job that would retry. Drops after the command started are the engine's to ride out.
    await this.checkReachable(server, input.signal);
    const timeout_s = input.timeout_s ?? (input.mode === 'sync' ? 60 * 60 : this.config.jobs.defaultTimeoutS);
    const params: RemoteBashParams & { env?: Record<string, string> } = {
      command: input.command,
      ...(input.cwd ? { cwd: input.cwd } : {}),
      ...(input.env ? { env_keys: Object.keys(input.env) } : {}),
    };
    const job = await this.engine.submit({
      type: 'remote-bash',
      server: server.name,
      params: { ...params, mode: input.mode },
      timeout_s,
      prepare: (id) => writeSecretEnv(this.config.home, id, input.env),
    });
    if (input.mode === 'background') return { kind: 'running', job, tail: this.read(job.id, { limit: 0 }) };
    const waitMs = input.mode === 'sync' ? timeout_s * 1000 + 30_000 : input.sync_wait_s * 1000;
    const deadline = Date.now() + waitMs;
    let current: Job = job;
    // The engine's events carry the job's new record, and new lines leave it as it was; only after a quiet spell
    // (or when another process executes the job) is the store read.
    let fromEvent: Job | 'lines' | undefined = job;
    for (;;) {
      const j = fromEvent === 'lines' ? current : (fromEvent ?? (await this.engine.store.get(job.id)));
      if (j) current = j;
      if (isTerminal(current.status)) return { kind: 'finished', job: current, result: this.result(current) };
      if (input.signal?.aborted) {
        // The client gave up on the call (notifications/cancelled): stop the command too.
        await this.engine.cancel(job.id);
        const final = (await this.engine.wait(job.id, 20_000)) ?? current;
        return { kind: 'finished', job: final, result: this.result(final) };
      }
      if (Date.now() >= deadline) break;
      if (input.onWaitTick) {
        const last = this.read(job.id, { limit: 1 }).lines[0]?.text;
        input.onWaitTick(current, last);
      }
      fromEvent = await this.engine.nextEvent(job.id, Math.min(1000, deadline - Date.now()), input.signal);
    }
    return { kind: 'running', job: current, tail: this.read(job.id, { limit: 20 }) };
  }

  /** The full result of a finished remote-bash job: each stream as head + tail within the caps. */
  result(job: Job): CommandResult {
    const dir = jobDir(this.config.home, job.id);
    const out = summarizeStream(dir, 'stdout', this.config.output);
    const err = summarizeStream(dir, 'stderr', this.config.output);
    const sig = job.exit_code !== null && job.exit_code > 128 ? (SIGNALS[job.exit_code - 128] ?? null) : null;
    const started = Date.parse(job.started_at ?? job.created_at);
    const finished = Date.parse(job.finished_at ?? new Date().toISOString());
    return {
      status:
        job.status === 'completed' || job.status === 'failed' || job.status === 'cancelled' || job.status === 'lost'
          ? job.status
          : 'failed',
      exit_code: job.exit_code,
      signal: job.status === 'cancelled' || job.error?.code === 'timeout' ? (sig ?? 'TERM') : sig,
      ...(job.error && job.error.code !== 'exit_code'
        ? { error: { code: job.error.code, message: job.error.message } }
        : {}),
      stdout: out.text,
      stderr: err.text,
      duration_ms: Math.max(0, finished - started),
      truncated: { stdout: out.truncated, stderr: err.truncated },
      job_id: job.id,
    };
  }

  async get(id: string): Promise<Job> {
    if (!isJobId(id)) {
      throw new ValidationError(
        `"${id.slice(0, 80)}" is not a job id.`,
        'Job ids look like job_01JD3Q8X5K2M7N4P6R8S0T2V4W; list-jobs shows them.',
      );
    }
    const job = await this.engine.store.get(id);
    if (!job)
      throw new NotFoundError(
        'unknown_job',
        `No job ${id}.`,
        'It may have been pruned by retention; list-jobs shows the known ones.',
      );
    return job;
  }

  async status(input: StatusInput): Promise<{ job: Job; log: ReadResult }> {
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
    const read = () => this.read(job.id, { cursor: input.cursor, limit: input.tail_logs, stream: input.stream, grep });
    let log = read();
    if (input.wait_s > 0 && !isTerminal(job.status) && (input.cursor === undefined || log.lines.length === 0)) {
      const deadline = Date.now() + input.wait_s * 1000;
      const startTotal = log.total_lines;
      while (Date.now() < deadline && !input.signal?.aborted) {
        await this.engine.nextEvent(job.id, Math.min(250, deadline - Date.now()), input.signal);
        job = await this.get(job.id);
        log = read();
        if (
          isTerminal(job.status) ||
          (input.cursor !== undefined ? log.lines.length > 0 : log.total_lines > startTotal)
        )
          break;
      }
    }
    return { job, log };
  }

  read(
    id: string,
    opts: {
      cursor?: number | undefined;
      limit: number;
      stream?: 'all' | 'stdout' | 'stderr';
      grep?: RegExp | undefined;
    },
  ): ReadResult {
    return readLog(jobDir(this.config.home, id), opts);
  }

  async list(filter: JobFilter, limit: number, cursor?: string): Promise<JobPage> {
    if (cursor !== undefined && !isJobId(cursor))
      throw new ValidationError('cursor is not a job id.', 'Pass back next_cursor from the previous page.');
    return this.engine.store.list(filter, limit, cursor);
  }

  async cancel(id: string): Promise<{ job: Job; already: boolean }> {
    const before = await this.get(id);
    if (isTerminal(before.status)) return { job: before, already: true };
    await this.engine.cancel(id);
    // Wait for the executing process to confirm the kill (it records the outcome).
    const after = (await this.engine.wait(id, 15_000)) ?? before;
    return { job: after, already: false };
  }

  assertKnown(err: unknown): never {
    throw err instanceof DeckhandError ? err : new DeckhandError('internal_error', String(err));
  }
}
