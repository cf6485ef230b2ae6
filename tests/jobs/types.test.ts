import { describe, expect, it } from 'vitest';
import {
  cancelJob,
  completeJob,
  createJob,
  exitJob,
  failJob,
  InvalidTransitionError,
  isJobId,
  isTerminal,
  JOB_STATUSES,
  loseJob,
  newJobId,
  requestCancel,
  requeueJob,
  setProgress,
  setRuntime,
  startJob,
  timeoutJob,
  type Job,
  type JobStatus,
} from '../../src/jobs/types.js';

const T0 = new Date('2025-01-02T03:04:05.000Z');
const T1 = new Date('2025-01-02T03:05:05.000Z');

function jobIn(status: JobStatus): Job {
  const base = createJob({ type: 'remote-bash', server: 'web', params: { command: 'true' }, timeout_s: 60 }, T0);
  return { ...base, status, started_at: status === 'queued' ? null : T0.toISOString() };
}

/** Every transition function, named by the state it leads to. */
const TRANSITIONS: Record<string, { to: JobStatus; from: JobStatus[]; apply: (j: Job) => Job }> = {
  startJob: { to: 'running', from: ['queued'], apply: (j) => startJob(j, T1) },
  requeueJob: { to: 'queued', from: ['running'], apply: (j) => requeueJob(j) },
  'exitJob(0)': { to: 'completed', from: ['running'], apply: (j) => exitJob(j, 0, T1) },
  'exitJob(2)': { to: 'failed', from: ['running'], apply: (j) => exitJob(j, 2, T1) },
  completeJob: { to: 'completed', from: ['running'], apply: (j) => completeJob(j, T1, { ok: true }) },
  failJob: {
    to: 'failed',
    from: ['running'],
    apply: (j) => failJob(j, { code: 'internal_error', message: 'it broke' }, T1),
  },
  timeoutJob: { to: 'failed', from: ['running'], apply: (j) => timeoutJob(j, T1, 'ran out of time') },
  cancelJob: { to: 'cancelled', from: ['queued', 'running'], apply: (j) => cancelJob(j, T1, 'stopped by user') },
  loseJob: { to: 'lost', from: ['running'], apply: (j) => loseJob(j, T1, 'no process, no exit record') },
};

describe('job states', () => {
  it('is a closed, frozen set; isTerminal is true exactly for the four end states', () => {
    expect([...JOB_STATUSES]).toEqual(['queued', 'running', 'completed', 'failed', 'cancelled', 'lost']);
    expect(Object.isFrozen(JOB_STATUSES)).toBe(true);
    const terminal = JOB_STATUSES.filter((s) => isTerminal(s));
    expect(terminal).toEqual(['completed', 'failed', 'cancelled', 'lost']);
  });

  it('creates a queued job with empty outcome fields', () => {
    const j = createJob({ type: 'x', server: null, params: { a: 1 }, timeout_s: 5, runtime: { dir: '/r' } }, T0);
    expect(isJobId(j.id)).toBe(true);
    expect(j).toMatchObject({
      type: 'x',
      server: null,
      params: { a: 1 },
      status: 'queued',
      progress: {},
      created_at: T0.toISOString(),
      started_at: null,
      finished_at: null,
      attempt: 0,
      exit_code: null,
      error: null,
      result: null,
      timeout_s: 5,
      cancel_requested_at: null,
      runtime: { dir: '/r' },
    });
  });

  for (const [name, t] of Object.entries(TRANSITIONS)) {
    for (const from of JOB_STATUSES) {
      const allowed = t.from.includes(from);
      it(`${name}: ${from} → ${t.to} is ${allowed ? 'allowed' : 'refused'}`, () => {
        const before = jobIn(from);
        const frozen = JSON.stringify(before);
        if (allowed) {
          const after = t.apply(before);
          expect(after.status).toBe(t.to);
          expect(after.id).toBe(before.id);
        } else {
          expect(() => t.apply(before)).toThrow(InvalidTransitionError);
          expect(() => t.apply(before)).toThrow(`Job ${before.id} cannot go from ${from} to ${t.to}.`);
        }
        // Pure: the input record is never modified.
        expect(JSON.stringify(before)).toBe(frozen);
      });
    }
  }

  it('start stamps started_at and counts the attempt; requeue clears started_at and keeps the count', () => {
    const started = startJob(jobIn('queued'), T1);
    expect(started).toMatchObject({ started_at: T1.toISOString(), attempt: 1 });
    const requeued = requeueJob(started);
    expect(requeued).toMatchObject({ status: 'queued', started_at: null, attempt: 1 });
    expect(startJob(requeued, T1).attempt).toBe(2);
  });

  it('records the outcome fields of each end', () => {
    const running = { ...jobIn('running'), result: { earlier: true } };
    expect(exitJob(running, 0, T1)).toMatchObject({ exit_code: 0, error: null, finished_at: T1.toISOString() });
    expect(exitJob(running, 7, T1, { r: 1 })).toMatchObject({
      exit_code: 7,
      result: { r: 1 },
      error: { code: 'exit_code', message: 'The command exited with code 7.' },
    });
    // A result recorded earlier survives an end that brings none.
    expect(completeJob(running, T1).result).toEqual({ earlier: true });
    expect(timeoutJob(running, T1, 'ran 60 s').error).toEqual({ code: 'timeout', message: 'ran 60 s' });
    expect(loseJob(running, T1, 'gone').error).toEqual({ code: 'lost', message: 'gone' });
    expect(cancelJob(running, T1, 'by user', { exit_code: 143 })).toMatchObject({
      exit_code: 143,
      error: { code: 'cancelled', message: 'by user' },
    });
    expect(failJob(running, { code: 'ssh_error', message: 'refused' }, T1, { exit_code: 255 })).toMatchObject({
      exit_code: 255,
      error: { code: 'ssh_error', message: 'refused' },
    });
  });

  it('requestCancel stamps the first request only and leaves finished jobs alone', () => {
    for (const s of ['queued', 'running'] as const) {
      const once = requestCancel(jobIn(s), T0);
      expect(once.cancel_requested_at).toBe(T0.toISOString());
      expect(once.status).toBe(s);
      expect(requestCancel(once, T1).cancel_requested_at).toBe(T0.toISOString());
    }
    for (const s of ['completed', 'failed', 'cancelled', 'lost'] as const) {
      const j = jobIn(s);
      expect(requestCancel(j, T1)).toBe(j);
    }
  });

  it('setProgress and setRuntime merge into what is there', () => {
    const j = setProgress(setProgress(jobIn('running'), { percent: 10, step: 'a' }), { percent: 50, message: 'm' });
    expect(j.progress).toEqual({ percent: 50, step: 'a', message: 'm' });
    const r = setRuntime(setRuntime(jobIn('running'), { dir: '/x', pid: 1 }), { pid: 2 });
    expect(r.runtime).toEqual({ dir: '/x', pid: 2 });
  });
});

describe('job ids', () => {
  it('are sortable by creation time and always match their own validator', () => {
    const ids = [1, 2, 1000, 1_700_000_000_000, 1_700_000_000_001].map((t) => newJobId(t));
    for (const id of ids) expect(isJobId(id), id).toBe(true);
    expect([...ids].sort()).toEqual(ids);
  });

  it('refuse anything that is not exactly job_ + 26 Crockford base-32 characters', () => {
    const good = newJobId(1_700_000_000_000);
    const bad = [
      '',
      'job_',
      good.toLowerCase(),
      good.slice(0, -1),
      `${good}0`,
      `${good}\n`,
      `\n${good}`,
      ` ${good}`,
      `JOB_${good.slice(4)}`,
      `job-${good.slice(4)}`,
      `job_${'I'.repeat(26)}`,
      `job_${'L'.repeat(26)}`,
      `job_${'O'.repeat(26)}`,
      `job_${'U'.repeat(26)}`,
      'job_../../../../etc/passwd0000',
      `job_${'0'.repeat(24)}/.`,
      `job_${'0'.repeat(25)}\0`,
    ];
    for (const id of bad) expect(isJobId(id), JSON.stringify(id)).toBe(false);
    expect(isJobId(`job_${'0123456789ABCDEFGHJKMNPQRS'}`)).toBe(true);
    expect(isJobId(`job_${'TVWXYZ'.padEnd(26, '7')}`)).toBe(true);
  });
});
