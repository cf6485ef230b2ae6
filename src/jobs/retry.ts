import { ValidationError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import * as T from './types.js';
import type { AttemptRecord, Job, RetryPolicy } from './types.js';

/** Like a Kubernetes Job's backoff: 10 s, doubling, capped at 6 min; up to half of each delay random. */
export const DEFAULT_BACKOFF: RetryPolicy['backoff'] = Object.freeze({
  kind: 'exponential',
  initial_s: 10,
  max_s: 360,
  jitter: true,
});

/** Codes of an attempt that never reached its server (a batch child fails with them before its command started). */
const UNREACHABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'connection_refused',
  'connection_lost',
  'connect_timeout',
  'dns_failure',
  'host_unreachable',
  'bastion_unreachable',
  'ssh_error',
]);

const RETRY_ON_RE = /^(exit_code:\d{1,3}|unreachable|timeout)$/;
/** Retries at most: a policy is kept in every job record, and a runaway loop should be visibly bounded. */
export const MAX_ATTEMPTS = 100;
const MAX_BACKOFF_S = 24 * 3600;

/** Checks a policy once, at the edge (submit): every message names the field, the value and what is expected. */
export function checkRetryPolicy(p: RetryPolicy): void {
  const bad = (field: string, v: unknown, want: string) =>
    new ValidationError(`retry.${field} is ${JSON.stringify(v)}: ${want}.`, 'Fix the retry policy and submit again.');
  if (!Number.isInteger(p.attempts) || p.attempts < 1 || p.attempts > MAX_ATTEMPTS)
    throw bad('attempts', p.attempts, `expected a whole number from 1 to ${MAX_ATTEMPTS}`);
  const b = p.backoff;
  if (b.kind !== 'fixed' && b.kind !== 'exponential')
    throw bad('backoff.kind', b.kind, 'expected fixed or exponential');
  if (!(b.initial_s >= 0 && b.initial_s <= MAX_BACKOFF_S))
    throw bad('backoff.initial_s', b.initial_s, `expected seconds from 0 to ${MAX_BACKOFF_S}`);
  if (!(b.max_s >= b.initial_s && b.max_s <= MAX_BACKOFF_S))
    throw bad('backoff.max_s', b.max_s, `expected seconds from initial_s (${b.initial_s}) to ${MAX_BACKOFF_S}`);
  for (const r of p.retry_on)
    if (!RETRY_ON_RE.test(r)) throw bad('retry_on', r, 'expected "exit_code:N" (N 0-255), "unreachable" or "timeout"');
}

/** The queue policies of a job about to be submitted: the retry policy, the deadline and the time-to-live. */
export function checkQueuePolicies(spec: {
  readonly retry?: RetryPolicy | null;
  readonly active_deadline_s?: number | null;
  readonly ttl_after_finished_s?: number | null;
}): void {
  if (spec.retry) checkRetryPolicy(spec.retry);
  for (const field of ['active_deadline_s', 'ttl_after_finished_s'] as const) {
    const v = spec[field];
    if (v !== undefined && v !== null && !(Number.isInteger(v) && v >= 1))
      throw new ValidationError(`${field} is ${JSON.stringify(v)}: expected a whole number of seconds, at least 1.`);
  }
}

/**
 * The wait before retry number `retry` (1: before the second attempt), in ms. Exponential doubles from initial_s up
 * to max_s; fixed waits initial_s. Jitter takes a random part of up to half away (`random` in [0, 1)), so the
 * children of a batch that failed together do not all come back in the same second.
 */
export function backoffDelayMs(b: RetryPolicy['backoff'], retry: number, random: number): number {
  const s = b.kind === 'fixed' ? b.initial_s : Math.min(b.max_s, b.initial_s * 2 ** Math.max(0, retry - 1));
  const ms = s * 1000;
  return Math.round(b.jitter ? ms * (0.5 + 0.5 * Math.min(1, Math.max(0, random))) : ms);
}

/** Whether an attempt that ended so is one the policy retries. A lost attempt only when the command is idempotent. */
export function isRetryable(p: RetryPolicy, ended: Pick<Job, 'status' | 'exit_code' | 'error'>): boolean {
  if (ended.status === 'lost') return p.idempotent === true;
  if (ended.status !== 'failed' || !ended.error) return false;
  const code = ended.error.code;
  if (code === 'exit_code') return ended.exit_code !== null && p.retry_on.includes(`exit_code:${ended.exit_code}`);
  if (code === 'timeout') return p.retry_on.includes('timeout');
  return UNREACHABLE.has(code) && p.retry_on.includes('unreachable');
}

export interface AttemptEnd {
  readonly now: Date;
  /** In [0, 1): the jitter's draw, made outside so the decision stays pure (it may run twice). */
  readonly random: number;
  /** Lines of the attempt's log. */
  readonly logLines: number;
}

/** What the end of an attempt made of the job, and one line for its log saying what comes next. */
export interface AttemptDecision {
  readonly job: Job;
  readonly note?: string;
}

/**
 * The end of an attempt, decided when the run finishes (whichever instance ran it; the result is one store write):
 * `ended` is the job as the outcome left it (applyOutcome). The attempt joins the record's history; then either the
 * job ends as `ended` says, or, when the policy retries this end, it goes back to the queue with not_before = now +
 * backoff. The active deadline overrides retries: an attempt that ended past it fails the job with
 * `deadline_exceeded`, and a retry that could only start after it is not made.
 */
export function decideAttemptEnd(before: Job, ended: Job, e: AttemptEnd): AttemptDecision {
  if (!T.isTerminal(ended.status) || before.status !== 'running') return { job: ended };
  const record: AttemptRecord = {
    n: before.attempts.length + 1,
    started_at: before.started_at,
    finished_at: ended.finished_at ?? e.now.toISOString(),
    status: ended.status as AttemptRecord['status'],
    exit_code: ended.exit_code,
    error: ended.error,
    log_lines: e.logLines,
  };
  const attempts = [...before.attempts, record];
  const deadline = T.deadlineOf(before);
  const now = e.now.getTime();
  if (deadline !== undefined && now >= deadline && ended.status === 'failed') {
    const error = {
      code: 'deadline_exceeded' as const,
      message:
        `The job passed its active_deadline_s (${before.active_deadline_s} s over all attempts) in attempt ` +
        `${record.n}${ended.error?.code === 'timeout' ? ', which was stopped' : ''}.`,
    };
    return { job: { ...ended, attempts, error }, note: 'no more attempts: the active deadline passed' };
  }
  const p = before.retry;
  if (!p || before.cancel_requested_at !== null || record.n >= p.attempts || !isRetryable(p, ended))
    return { job: { ...ended, attempts } };
  const at = now + backoffDelayMs(p.backoff, record.n, e.random);
  if (deadline !== undefined && at >= deadline)
    return {
      job: { ...ended, attempts },
      note: `no retry: attempt ${record.n + 1} could only start after the active deadline`,
    };
  const when = new Date(at).toISOString();
  return {
    job: {
      ...before,
      status: 'queued',
      started_at: null,
      finished_at: null,
      exit_code: null,
      error: null,
      result: null,
      progress: {},
      // The executor state described this attempt's work: the next attempt starts afresh.
      runtime: {},
      not_before: when,
      attempts,
    },
    note: `attempt ${record.n} of ${p.attempts} ended (${endWords(record)}); attempt ${record.n + 1} at ${when}`,
  };
}

export function endWords(a: Pick<AttemptRecord, 'status' | 'exit_code' | 'error'>): string {
  if (a.exit_code !== null && (a.error === null || a.error.code === 'exit_code')) return `exit ${a.exit_code}`;
  return a.error ? a.error.code : a.status;
}
