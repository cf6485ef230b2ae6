import { describe, expect, it } from 'vitest';
import { applyOutcome } from '../../src/jobs/outcome.js';
import {
  backoffDelayMs,
  checkQueuePolicies,
  decideAttemptEnd,
  DEFAULT_BACKOFF,
  isRetryable,
} from '../../src/jobs/retry.js';
import * as T from '../../src/jobs/types.js';
import type { HandlerOutcome } from '../../src/jobs/handler.js';

const T0 = new Date('2026-12-07T06:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

const policy = (over: Partial<T.RetryPolicy> = {}): T.RetryPolicy => ({
  attempts: 3,
  backoff: { kind: 'exponential', initial_s: 10, max_s: 360, jitter: false },
  retry_on: ['exit_code:75', 'timeout', 'unreachable'],
  ...over,
});

/** A job running its attempt n (n - 1 ended before), started at `start` seconds. */
function running(over: Partial<T.NewJob> = {}, start = 0): T.Job {
  const queued = T.createJob(
    { type: 'remote-bash', server: 's', params: {}, timeout_s: 60, retry: policy(), ...over },
    T0,
  );
  return T.startJob(queued, at(start));
}

/** The end of the running attempt as the kernel decides it (outcome, then policy). */
function end(job: T.Job, o: Exclude<HandlerOutcome, { kind: 'abandon' }>, s: number, random = 0.5) {
  const ended = applyOutcome(job, o, at(s));
  if (!ended) throw new Error('no end');
  return decideAttemptEnd(job, ended, { now: at(s), random, logLines: 7 });
}

describe('backoff', () => {
  const exp = { kind: 'exponential', initial_s: 10, max_s: 360, jitter: false } as const;
  it('doubles from initial_s per retry and stops at max_s (Kubernetes: 10 s, 20 s, 40 s … 6 min)', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelayMs(exp, n, 0))).toEqual([
      10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 360_000, 360_000,
    ]);
    expect(DEFAULT_BACKOFF).toMatchObject({ kind: 'exponential', initial_s: 10, max_s: 360 });
  });
  it('waits the same with fixed', () => {
    const fixed = { ...exp, kind: 'fixed' as const, initial_s: 7 };
    expect([1, 2, 5].map((n) => backoffDelayMs(fixed, n, 0.9))).toEqual([7000, 7000, 7000]);
  });
  it('with jitter, takes a random part of up to half away: always within [d/2, d]', () => {
    const j = { ...exp, jitter: true };
    expect(backoffDelayMs(j, 1, 0)).toBe(5000);
    expect(backoffDelayMs(j, 1, 0.999999)).toBeLessThanOrEqual(10_000);
    for (let i = 0; i < 500; i++) {
      const r = Math.random();
      const d = backoffDelayMs(j, 3, r);
      expect(d).toBeGreaterThanOrEqual(20_000);
      expect(d).toBeLessThanOrEqual(40_000);
    }
    // The cap holds with jitter too.
    expect(backoffDelayMs(j, 20, 0.999999)).toBeLessThanOrEqual(360_000);
  });
  it('zero waits zero', () => {
    expect(backoffDelayMs({ ...exp, initial_s: 0 }, 4, 0.3)).toBe(0);
  });
});

describe('what is retried', () => {
  const j = running();
  it('an exit code retry_on names, a timeout, an unreachable server; nothing else', () => {
    const p = policy();
    expect(isRetryable(p, T.exitJob(j, 75, at(1)))).toBe(true);
    expect(isRetryable(p, T.exitJob(j, 1, at(1)))).toBe(false);
    expect(isRetryable(p, T.timeoutJob(j, at(1), 'slow'))).toBe(true);
    expect(isRetryable(p, T.failJob(j, { code: 'connection_refused', message: 'x' }, at(1)))).toBe(true);
    expect(isRetryable(policy({ retry_on: ['exit_code:75'] }), T.timeoutJob(j, at(1), 'slow'))).toBe(false);
    expect(isRetryable(p, T.failJob(j, { code: 'auth_failed', message: 'x' }, at(1)))).toBe(false);
    expect(isRetryable(p, T.cancelJob(j, at(1), 'stop'))).toBe(false);
    expect(isRetryable(p, T.exitJob(j, 0, at(1)))).toBe(false);
  });
  it('a lost attempt never, unless the command is idempotent', () => {
    expect(isRetryable(policy(), T.loseJob(j, at(1), 'gone'))).toBe(false);
    expect(isRetryable(policy({ retry_on: [] }), T.loseJob(j, at(1), 'gone'))).toBe(false);
    expect(isRetryable(policy({ idempotent: true }), T.loseJob(j, at(1), 'gone'))).toBe(true);
  });
});

describe('the end of an attempt', () => {
  it('a retryable failure goes back to the queue with not_before = now + backoff, its attempt in the history', () => {
    const d = end(running(), { kind: 'exit', exit_code: 75 }, 5);
    expect(d.job).toMatchObject({
      status: 'queued',
      not_before: at(15).toISOString(),
      started_at: null,
      finished_at: null,
      exit_code: null,
      error: null,
      runtime: {},
    });
    expect(d.job.attempts).toEqual([
      {
        n: 1,
        started_at: at(0).toISOString(),
        finished_at: at(5).toISOString(),
        status: 'failed',
        exit_code: 75,
        error: { code: 'exit_code', message: 'The command exited with code 75.' },
        log_lines: 7,
      },
    ]);
    expect(T.currentAttempt(d.job)).toBe(2);
    expect(d.note).toMatch(/attempt 1 of 3 ended \(exit 75\); attempt 2 at /);
  });

  it('three attempts: fail, fail, succeed — completed with three attempts recorded; the backoff doubles', () => {
    let job = running();
    let d = end(job, { kind: 'exit', exit_code: 75 }, 1);
    expect(d.job.not_before).toBe(at(11).toISOString());
    job = T.startJob(d.job, at(11));
    d = end(job, { kind: 'exit', exit_code: 75 }, 12);
    expect(d.job.not_before).toBe(at(32).toISOString());
    job = T.startJob(d.job, at(32));
    d = end(job, { kind: 'exit', exit_code: 0 }, 33);
    expect(d.job.status).toBe('completed');
    expect(d.job.attempts.map((a) => [a.n, a.status, a.exit_code])).toEqual([
      [1, 'failed', 75],
      [2, 'failed', 75],
      [3, 'completed', 0],
    ]);
    expect(T.currentAttempt(d.job)).toBe(3);
  });

  it('the last attempt ends the job, whatever it was', () => {
    let d = end(running({ retry: policy({ attempts: 2 }) }), { kind: 'exit', exit_code: 75 }, 1);
    d = end(T.startJob(d.job, at(20)), { kind: 'exit', exit_code: 75 }, 21);
    expect(d.job).toMatchObject({ status: 'failed', exit_code: 75 });
    expect(d.job.attempts).toHaveLength(2);
  });

  it('a non-matching exit, a lost attempt and a cancel request are not retried', () => {
    expect(end(running(), { kind: 'exit', exit_code: 1 }, 1).job.status).toBe('failed');
    expect(end(running(), { kind: 'lost', message: 'gone' }, 1).job.status).toBe('lost');
    const asked = T.requestCancel(running(), at(1));
    expect(end(asked, { kind: 'exit', exit_code: 75 }, 2).job.status).toBe('failed');
  });

  it('a lost attempt is retried when the policy says the command is idempotent', () => {
    const d = end(running({ retry: policy({ idempotent: true }) }), { kind: 'lost', message: 'gone' }, 1);
    expect(d.job.status).toBe('queued');
    expect(d.job.attempts[0]?.status).toBe('lost');
  });

  it('active_deadline_s over all attempts: an attempt ending past it fails the job with deadline_exceeded', () => {
    const job = running({ active_deadline_s: 30 });
    let d = end(job, { kind: 'exit', exit_code: 75 }, 5);
    expect(d.job.status).toBe('queued');
    // The second attempt is stopped (as a timeout) at the deadline, 30 s after the FIRST attempt's start.
    const second = T.startJob(d.job, at(15));
    expect(T.deadlineOf(second)).toBe(at(30).getTime());
    d = end(second, { kind: 'timeout', message: 'Reached its time limit.' }, 30);
    expect(d.job.status).toBe('failed');
    expect(d.job.error?.code).toBe('deadline_exceeded');
    expect(d.job.error?.message).toMatch(
      /active_deadline_s \(30 s over all attempts\) in attempt 2, which was stopped/,
    );
    expect(d.job.attempts.map((a) => a.error?.code)).toEqual(['exit_code', 'timeout']);
  });

  it('no retry that could only start after the deadline', () => {
    const d = end(running({ active_deadline_s: 12 }), { kind: 'exit', exit_code: 75 }, 5);
    expect(d.job).toMatchObject({ status: 'failed', exit_code: 75 });
    expect(d.note).toMatch(/after the active deadline/);
  });

  it('a job without a policy ends as before, its one attempt recorded', () => {
    const d = end(running({ retry: null }), { kind: 'exit', exit_code: 75 }, 1);
    expect(d.job.status).toBe('failed');
    expect(d.job.attempts).toHaveLength(1);
    expect(d.note).toBeUndefined();
  });

  it('a requeue (work never started) is no attempt', () => {
    const d = end(running(), { kind: 'requeue', message: 'never started' }, 1);
    expect(d.job.status).toBe('queued');
    expect(d.job.attempts).toEqual([]);
  });
});

describe('policy checks', () => {
  it('name the field, the value and what is expected', () => {
    expect(() => checkQueuePolicies({ retry: policy({ attempts: 0 }) })).toThrow(
      /retry.attempts is 0: expected a whole number from 1 to 100/,
    );
    expect(() => checkQueuePolicies({ retry: policy({ retry_on: ['exit:75'] }) })).toThrow(
      /retry.retry_on is "exit:75"/,
    );
    expect(() =>
      checkQueuePolicies({ retry: policy({ backoff: { kind: 'fixed', initial_s: 20, max_s: 10, jitter: false } }) }),
    ).toThrow(/backoff.max_s is 10/);
    expect(() => checkQueuePolicies({ active_deadline_s: 0 })).toThrow(/active_deadline_s is 0/);
    expect(() => checkQueuePolicies({ ttl_after_finished_s: 1.5 })).toThrow(/ttl_after_finished_s is 1.5/);
    expect(() =>
      checkQueuePolicies({ retry: policy(), active_deadline_s: 60, ttl_after_finished_s: 60 }),
    ).not.toThrow();
  });
});
