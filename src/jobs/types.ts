import { ulid } from 'ulid';
import type { ErrorCode } from '../errors.js';

/** The closed set of job states. `lost` means the outcome cannot be known (no process, no exit record). */
export const JOB_STATUSES = Object.freeze(['queued', 'running', 'completed', 'failed', 'cancelled', 'lost'] as const);
export type JobStatus = (typeof JOB_STATUSES)[number];

const TERMINAL: ReadonlySet<JobStatus> = new Set(['completed', 'failed', 'cancelled', 'lost']);
export function isTerminal(s: JobStatus): boolean {
  return TERMINAL.has(s);
}

export interface JobError {
  readonly code: ErrorCode;
  readonly message: string;
}

export interface JobProgress {
  readonly percent?: number | undefined;
  readonly step?: string | undefined;
  readonly steps_total?: number | undefined;
  readonly message?: string | undefined;
  /** Work done and in all, in `unit`s (a transfer counts bytes): MCP progress notifications count these when set. */
  readonly done?: number | undefined;
  readonly total?: number | undefined;
  readonly unit?: string | undefined;
  /** `unit`s per second lately, and the seconds left at that rate. */
  readonly rate?: number | undefined;
  readonly eta_s?: number | undefined;
}

export interface Job {
  readonly id: string;
  readonly type: string;
  readonly server: string | null;
  /** What was asked, with secrets redacted. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly status: JobStatus;
  readonly progress: JobProgress;
  readonly created_at: string;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  readonly attempt: number;
  readonly exit_code: number | null;
  readonly error: JobError | null;
  readonly result: unknown;
  /** Maximum run time; reaching it kills the work and fails the job with error.code "timeout". */
  readonly timeout_s: number;
  /** Set by cancel-job in any process; the executing process acts on it. */
  readonly cancel_requested_at: string | null;
  /** Executor state that recovery needs (e.g. the remote job directory); never secrets. */
  readonly runtime: Readonly<Record<string, unknown>>;
  /** The instance running it (set while running; kept after it ends, saying who ran it). */
  readonly owner: { readonly instance: string; readonly host: string; readonly pid: number } | null;
  /** A fan-out child's batch: the parent job's id. */
  readonly parent_id: string | null;
  /** Most children of the same parent running at once; null outside batches. */
  readonly parallel_limit: number | null;
  /** Rolling-update wave of a batch child (0 first); null outside batches. */
  readonly wave: number | null;
  /** 0 high, 1 normal, 2 low. */
  readonly priority: number;
  /** Not started before this time. */
  readonly not_before: string | null;
  /** At most one job ever has a given key (a schedule slot). */
  readonly unique_key: string | null;
  /** Retries of failed attempts; null: one attempt. */
  readonly retry: RetryPolicy | null;
  /** All attempts together must end within this many seconds of the first one's start. */
  readonly active_deadline_s: number | null;
  /** The record and its logs are removed this long after the job ended. */
  readonly ttl_after_finished_s: number | null;
  /** Attempts that ended, oldest first (the last one is the job's own end once it is terminal). */
  readonly attempts: readonly AttemptRecord[];
  /** The template run this job is (a batch's parent carries it, not its children); null otherwise. */
  readonly template?: TemplateRunRef | null;
}

/** Which template, at which version, a run was made from, and what started it. */
export interface TemplateRunRef {
  readonly id: string;
  readonly version: number;
  /** `schedule`: a slot of the template's schedule (the job's unique_key names it); `manual`: run-template, run now. */
  readonly trigger: 'manual' | 'schedule';
}

/** Retries of failed attempts (queue policies). */
export interface RetryPolicy {
  /** Attempts in all, 1 = no retry. */
  readonly attempts: number;
  readonly backoff: {
    readonly kind: 'fixed' | 'exponential';
    readonly initial_s: number;
    readonly max_s: number;
    readonly jitter: boolean;
  };
  /** "exit_code:N", "unreachable", "timeout". */
  readonly retry_on: readonly string[];
  /** A lost attempt may be retried (the command is safe to run twice). */
  readonly idempotent?: boolean;
}

/** One ended attempt of a job, as its record keeps it. */
export interface AttemptRecord {
  /** 1 for the first attempt. */
  readonly n: number;
  readonly started_at: string | null;
  readonly finished_at: string;
  /** How it ended: the status the job would have had, had it been the last attempt. */
  readonly status: Exclude<JobStatus, 'queued' | 'running'>;
  readonly exit_code: number | null;
  readonly error: JobError | null;
  /** Lines of this attempt's log (its own seq space); later attempts' cursors continue after them. */
  readonly log_lines: number;
}

/** The attempt a job is on (queued or running), or ended with (terminal). */
export function currentAttempt(job: Pick<Job, 'status' | 'attempts'>): number {
  const ended = job.attempts.length;
  return isTerminal(job.status) ? Math.max(1, ended) : ended + 1;
}

/** When the job's active deadline passes (epoch ms), counted from its first attempt's start; undefined: none yet. */
export function deadlineOf(job: Pick<Job, 'active_deadline_s' | 'attempts' | 'started_at'>): number | undefined {
  if (job.active_deadline_s === null) return undefined;
  const first = job.attempts[0]?.started_at ?? job.started_at;
  return first === null ? undefined : Date.parse(first) + job.active_deadline_s * 1000;
}

const ID_RE = /^job_[0-9A-HJKMNP-TV-Z]{26}$/;

export function newJobId(now = Date.now()): string {
  return `job_${ulid(now)}`;
}

/** Ids reach file paths and remote commands: only this exact shape is ever accepted. */
export function isJobId(s: string): boolean {
  return ID_RE.test(s);
}

export class InvalidTransitionError extends Error {
  constructor(id: string, from: JobStatus, to: JobStatus) {
    super(`Job ${id} cannot go from ${from} to ${to}.`);
    this.name = 'InvalidTransitionError';
  }
}

export interface NewJob {
  readonly type: string;
  readonly server: string | null;
  readonly params: Record<string, unknown>;
  readonly timeout_s: number;
  readonly runtime?: Record<string, unknown>;
  readonly parent_id?: string | null;
  readonly parallel_limit?: number | null;
  readonly wave?: number | null;
  readonly priority?: number;
  readonly not_before?: string | null;
  readonly unique_key?: string | null;
  readonly retry?: RetryPolicy | null;
  readonly active_deadline_s?: number | null;
  readonly ttl_after_finished_s?: number | null;
  readonly template?: TemplateRunRef | null;
}

export function createJob(spec: NewJob, now: Date, id: string = newJobId(now.getTime())): Job {
  return {
    id,
    type: spec.type,
    server: spec.server,
    params: spec.params,
    status: 'queued',
    progress: {},
    created_at: now.toISOString(),
    started_at: null,
    finished_at: null,
    attempt: 0,
    exit_code: null,
    error: null,
    result: null,
    timeout_s: spec.timeout_s,
    cancel_requested_at: null,
    runtime: spec.runtime ?? {},
    owner: null,
    parent_id: spec.parent_id ?? null,
    parallel_limit: spec.parallel_limit ?? null,
    wave: spec.wave ?? null,
    priority: spec.priority ?? 1,
    not_before: spec.not_before ?? null,
    unique_key: spec.unique_key ?? null,
    retry: spec.retry ?? null,
    active_deadline_s: spec.active_deadline_s ?? null,
    ttl_after_finished_s: spec.ttl_after_finished_s ?? null,
    attempts: [],
    template: spec.template ?? null,
  };
}

// Pure transitions: each returns a new record or throws; the store applies them under its lock.

export function startJob(job: Job, now: Date): Job {
  if (job.status !== 'queued') throw new InvalidTransitionError(job.id, job.status, 'running');
  return { ...job, status: 'running', started_at: now.toISOString(), attempt: job.attempt + 1 };
}

/** Back to the queue when work provably never started (e.g. the process died before the remote start). */
export function requeueJob(job: Job): Job {
  if (job.status !== 'running') throw new InvalidTransitionError(job.id, job.status, 'queued');
  // The executor state described the start that never happened; kept, it would make the next run reattach to nothing.
  return { ...job, status: 'queued', started_at: null, runtime: {} };
}

/** The fields a job's end records, besides its state. */
export interface EndFields {
  readonly exit_code?: number | null;
  readonly error?: JobError | null;
  readonly result?: unknown;
}

function finish(job: Job, to: JobStatus, now: Date, o: EndFields): Job {
  if (isTerminal(job.status)) throw new InvalidTransitionError(job.id, job.status, to);
  if (to !== 'cancelled' && job.status !== 'running') throw new InvalidTransitionError(job.id, job.status, to);
  return {
    ...job,
    status: to,
    finished_at: now.toISOString(),
    exit_code: o.exit_code ?? null,
    error: o.error ?? null,
    result: o.result ?? job.result ?? null,
  };
}

/** Exit 0 completes; anything else fails with its exit code. */
export function exitJob(job: Job, exitCode: number, now: Date, result?: unknown): Job {
  if (exitCode === 0) return finish(job, 'completed', now, { exit_code: 0, result });
  return finish(job, 'failed', now, {
    exit_code: exitCode,
    result,
    error: { code: 'exit_code', message: `The command exited with code ${exitCode}.` },
  });
}

export function completeJob(job: Job, now: Date, result?: unknown): Job {
  return finish(job, 'completed', now, { result, exit_code: job.exit_code });
}

export function failJob(job: Job, error: JobError, now: Date, extra: EndFields = {}): Job {
  return finish(job, 'failed', now, { ...extra, error });
}

export function timeoutJob(job: Job, now: Date, message: string): Job {
  return finish(job, 'failed', now, { error: { code: 'timeout', message } });
}

/** Queued or running → cancelled. */
export function cancelJob(job: Job, now: Date, message: string, extra: EndFields = {}): Job {
  return finish(job, 'cancelled', now, { ...extra, error: { code: 'cancelled', message } });
}

export function loseJob(job: Job, now: Date, message: string): Job {
  return finish(job, 'lost', now, { error: { code: 'lost', message } });
}

/**
 * What cancelling does to a job, wherever it is asked (the engine, the CLI, another instance): a queued job is
 * cancelled at once; a running one gets a cancel request its owner acts on; an ended one is left as it is.
 */
export function cancelOrRequest(job: Job, now: Date): Job | undefined {
  if (isTerminal(job.status)) return undefined;
  if (job.status === 'queued') return cancelJob(job, now, 'Cancelled before it started.');
  return requestCancel(job, now);
}

export function requestCancel(job: Job, now: Date): Job {
  if (isTerminal(job.status)) return job;
  return { ...job, cancel_requested_at: job.cancel_requested_at ?? now.toISOString() };
}

export function setProgress(job: Job, progress: JobProgress): Job {
  return { ...job, progress: { ...job.progress, ...progress } };
}

export function setRuntime(job: Job, runtime: Record<string, unknown>): Job {
  return { ...job, runtime: { ...job.runtime, ...runtime } };
}
