import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textOf } from '../helpers/mcp.js';
import { Deckhand, JobsFixture, stdoutTexts, type JobView } from '../helpers/jobs.js';
import { remoteProcessCount, uniqueSleep } from '../helpers/openssh.js';
import { waitFor } from '../helpers/wait.js';

interface CancelAnswer {
  job: JobView;
  changed: boolean;
}

describe('cancel-job and timeout_s stop the whole remote process group', () => {
  const fx = new JobsFixture();
  let d: Deckhand;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-cancel-'));

  beforeAll(async () => {
    // One job per server at a time, so a second job stays queued behind a running one.
    d = await fx.setup({ DECKHAND_MAX_JOBS_PER_SERVER: '1' });
  });
  afterAll(async () => {
    await fx.teardown();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  /** A command with a child in the background: both must die. */
  const twoSleeps = (n: number) => `sh -c 'sleep ${n}; echo child' & sleep ${n + 1}; echo parent`;
  const running = (n: number) =>
    remoteProcessCount(fx.sshd, `sleep ${n}`) + remoteProcessCount(fx.sshd, `sleep ${n + 1}`);

  it('cancelling a running job kills its process group before it answers', async () => {
    const n = uniqueSleep();
    const id = await d.background(twoSleeps(n));
    await waitFor(() => running(n) === 2, 'both sleeps to run on the server');
    const r = await d.ok<CancelAnswer>('cancel-job', { job_id: id });
    expect(r.changed).toBe(true);
    expect(r.job.status).toBe('cancelled');
    expect(r.job.error?.message).toMatch(/killed/);
    // Checked over a second connection, right after the answer: nothing is left.
    expect(running(n)).toBe(0);
    const lines = await d.allLines(id);
    expect(stdoutTexts(lines)).not.toContain('parent');
    expect(lines.map((l) => l.text).join('\n')).toMatch(/remote process group was terminated/);
  });

  it('timeout_s kills the process group and fails the job with error.code "timeout"', async () => {
    const n = uniqueSleep();
    const id = await d.background(twoSleeps(n), { timeout_s: 3 });
    await waitFor(() => running(n) === 2, 'both sleeps to run on the server');
    const job = await d.waitTerminal(id, 30_000);
    expect(job.status).toBe('failed');
    expect(job.error?.code).toBe('timeout');
    expect(job.error?.message).toMatch(/time limit.*killed/);
    expect(running(n)).toBe(0);
    const took = Date.parse(job.finished_at ?? '') - Date.parse(job.started_at ?? '');
    expect(took).toBeGreaterThanOrEqual(3000);
    expect(took).toBeLessThan(20_000);
  });

  it('cancelling a queued job removes it from the queue: it never runs', async () => {
    const n = uniqueSleep();
    const blocker = await d.background(`sleep ${n}`);
    await waitFor(() => remoteProcessCount(fx.sshd, `sleep ${n}`) === 1, 'the blocker to run');
    const marker = path.join(scratch, 'queued-ran');
    const queued = await d.background(`touch ${marker}`);
    expect((await d.status({ job_id: queued })).job.status).toBe('queued');

    const r = await d.ok<CancelAnswer>('cancel-job', { job_id: queued });
    expect(r.changed).toBe(true);
    expect(r.job).toMatchObject({ status: 'cancelled', started_at: null, attempt: 0 });
    expect(r.job.error?.message).toMatch(/before it started/);

    // Free the slot; a job queued later runs to its end, so the queue moved past the cancelled one.
    expect((await d.ok<CancelAnswer>('cancel-job', { job_id: blocker })).job.status).toBe('cancelled');
    const later = await d.background('echo later');
    expect((await d.waitTerminal(later)).status).toBe('completed');
    expect(fs.existsSync(marker)).toBe(false);
    expect((await d.status({ job_id: queued })).job.status).toBe('cancelled');
  });

  it('cancelling a finished job is a clear no-op', async () => {
    const r = await d.ok<{ status: string; job_id: string }>('remote-bash', {
      server: 'box',
      command: 'echo done',
      mode: 'sync',
    });
    fx.track(r.job_id);
    expect(r.status).toBe('completed');
    const res = await d.call('cancel-job', { job_id: r.job_id });
    expect(res.isError).toBeFalsy();
    expect(res.structuredContent).toMatchObject({ changed: false, job: { status: 'completed', exit_code: 0 } });
    expect(textOf(res)).toMatch(/already finished \(completed\); nothing to cancel/);

    const twice = await d.ok<CancelAnswer>('cancel-job', { job_id: r.job_id });
    expect(twice).toMatchObject({ changed: false, job: { status: 'completed' } });
  });
});
