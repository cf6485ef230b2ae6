import { describe, expect, it } from 'vitest';
import { describeJob } from '../../src/commands/jobs-show.js';
import { publicJob, jobSummary } from '../../src/mcp/tools/shared/job-shapes.js';
import * as T from '../../src/jobs/types.js';

const T0 = new Date('2026-12-07T06:00:00Z');
const attempt = (n: number, code: number): T.AttemptRecord => ({
  n,
  started_at: new Date(T0.getTime() + n * 60_000).toISOString(),
  finished_at: new Date(T0.getTime() + n * 60_000 + 5000).toISOString(),
  status: code === 0 ? 'completed' : 'failed',
  exit_code: code,
  error: code === 0 ? null : { code: 'exit_code', message: `The command exited with code ${code}.` },
  log_lines: 4,
});
const retry: T.RetryPolicy = {
  attempts: 3,
  backoff: { kind: 'exponential', initial_s: 10, max_s: 360, jitter: true },
  retry_on: ['exit_code:75'],
};

describe('a job with attempts, as people and tools see it', () => {
  const base = T.createJob({ type: 'remote-bash', server: 'web', params: { command: 'x' }, timeout_s: 60, retry }, T0);

  it('deckhand jobs show lists each attempt, how it ended and how to read its log', () => {
    const job: T.Job = {
      ...base,
      status: 'completed',
      exit_code: 0,
      attempts: [attempt(1, 75), attempt(2, 75), attempt(3, 0)],
    };
    const text = describeJob(job, { lines: 4, bytes: 100 });
    expect(text).toMatch(/attempts\s+3 of 3/);
    expect(text).toMatch(/attempt 1\s+.*failed \(exit 75\), 4 lines \(deckhand jobs logs job_\w+ --attempt 1\)/);
    expect(text).toMatch(/attempt 3\s+.*completed \(exit 0\)/);
  });

  it('a job waiting for its next attempt shows as scheduled with its time', () => {
    const at = new Date(Date.now() + 60_000).toISOString();
    const job: T.Job = { ...base, status: 'queued', not_before: at, attempts: [attempt(1, 75)] };
    expect(publicJob(job)).toMatchObject({ status: 'queued', scheduled_for: at, max_attempts: 3 });
    expect(jobSummary(job)).toMatch(new RegExp(`scheduled for ${at}, attempt 2 of 3, attempt 1 failed \\(exit 75\\)`));
    expect(describeJob(job, { lines: 0, bytes: 0 })).toMatch(/status\s+scheduled \(/);
  });

  it('tools show the newest five attempts of a long history', () => {
    const many = Array.from({ length: 40 }, (_, i) => attempt(i + 1, 75));
    const job: T.Job = { ...base, retry: { ...retry, attempts: 41 }, status: 'failed', attempts: many };
    expect(publicJob(job).attempts).toHaveLength(5);
    expect((publicJob(job).attempts as T.AttemptRecord[])[0]?.n).toBe(36);
  });
});
