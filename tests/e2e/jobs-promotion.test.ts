import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textOf } from '../helpers/mcp.js';
import {
  Deckhand,
  JobsFixture,
  TERMINAL,
  stdoutTexts,
  toolError,
  type LogLine,
  type StatusView,
} from '../helpers/jobs.js';

interface RunningAnswer {
  status: string;
  job_id: string;
  tail?: LogLine[];
  next_cursor?: number;
  exit_code?: number | null;
  stdout?: string;
}

const range = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

describe('remote-bash modes and get-job-status, through the binary against a real sshd', () => {
  const fx = new JobsFixture();
  let d: Deckhand;

  beforeAll(async () => {
    d = await fx.setup();
  });
  afterAll(() => fx.teardown());

  it('auto mode promotes a command that outlasts sync_wait_s to a job whose lines arrive in steps, each exactly once', async () => {
    const t0 = Date.now();
    // 30 lines over 3 s: past sync_wait_s, and long enough to be read in several steps while it runs.
    const first = await d.ok<RunningAnswer>('remote-bash', {
      server: 'box',
      command: 'for i in $(seq 1 30); do echo "line-$i"; sleep 0.1; done',
      mode: 'auto',
      sync_wait_s: 1,
    });
    fx.track(first.job_id);
    expect(first.status).toBe('running');
    expect(first.job_id).toMatch(/^job_[0-9A-Z]{26}$/);
    expect(typeof first.next_cursor).toBe('number');
    // It answered after about sync_wait_s, not after the command.
    expect(Date.now() - t0).toBeLessThan(20_000);

    const seen: string[] = stdoutTexts(first.tail ?? []);
    let cursor = first.next_cursor ?? 0;
    let stepsWhileRunning = 0;
    let final: StatusView | undefined;
    for (;;) {
      const s = await d.status({ job_id: first.job_id, cursor, wait_s: 10 });
      const got = stdoutTexts(s.logs);
      if (got.length > 0 && s.job.status === 'running') stepsWhileRunning++;
      seen.push(...got);
      // The cursor only moves forward, and lines come in chronological order.
      expect(s.next_cursor).toBeGreaterThanOrEqual(cursor);
      for (let i = 1; i < s.logs.length; i++) expect(s.logs[i]!.seq).toBeGreaterThan(s.logs[i - 1]!.seq);
      cursor = s.next_cursor;
      if (TERMINAL.has(s.job.status) && !s.has_more) {
        final = s;
        break;
      }
    }
    expect(stepsWhileRunning).toBeGreaterThanOrEqual(3);
    expect(seen).toEqual(range(30, 'line-'));
    expect(final?.job).toMatchObject({ status: 'completed', exit_code: 0, error: null });
    // Read from the start again: the persisted log holds the same 30 lines, in order, once each.
    expect(stdoutTexts(await d.allLines(first.job_id))).toEqual(range(30, 'line-'));
  });

  it('sync mode waits past sync_wait_s for the result', async () => {
    const r = await d.ok<RunningAnswer>('remote-bash', {
      server: 'box',
      command: 'sleep 3; echo synced; exit 4',
      mode: 'sync',
      sync_wait_s: 1,
    });
    fx.track(r.job_id);
    expect(r).toMatchObject({ status: 'failed', exit_code: 4, stdout: 'synced' });
    const s = await d.status({ job_id: r.job_id });
    expect(s.job).toMatchObject({ status: 'failed', exit_code: 4 });
  });

  it('background mode answers the job id at once, and the job runs to its end', async () => {
    const t0 = Date.now();
    const r = await d.ok<RunningAnswer>('remote-bash', {
      server: 'box',
      command: 'sleep 4; echo from-background',
      mode: 'background',
    });
    fx.track(r.job_id);
    const answeredIn = Date.now() - t0;
    expect(['queued', 'running']).toContain(r.status);
    expect(r.stdout).toBeUndefined();
    // It answered before the command could have finished.
    const s0 = await d.status({ job_id: r.job_id });
    expect(TERMINAL.has(s0.job.status), `answered in ${answeredIn} ms`).toBe(false);
    const job = await d.waitTerminal(r.job_id);
    expect(job).toMatchObject({ status: 'completed', exit_code: 0 });
    expect(stdoutTexts(await d.allLines(r.job_id))).toEqual(['from-background']);
  });

  it('wait_s long-polls and returns as soon as a line arrives', async () => {
    const id = await d.background('sleep 3; echo arrived; sleep 25; echo too-late');
    const s0 = await d.status({ job_id: id, tail_logs: 0 });
    expect(stdoutTexts((await d.status({ job_id: id })).logs)).toEqual([]);
    const t0 = Date.now();
    const s = await d.status({ job_id: id, cursor: s0.next_cursor, wait_s: 30 });
    const took = Date.now() - t0;
    expect(stdoutTexts(s.logs)).toEqual(['arrived']);
    expect(s.job.status).toBe('running');
    // Well before the 30 s wait, and before the job could end (25 s later).
    expect(took).toBeLessThan(20_000);

    // A long-poll on a finished job answers at once.
    const cancelled = await d.ok<{ job: { status: string } }>('cancel-job', { job_id: id });
    expect(cancelled.job.status).toBe('cancelled');
    const t1 = Date.now();
    const after = await d.status({ job_id: id, cursor: s.next_cursor, wait_s: 30 });
    expect(after.job.status).toBe('cancelled');
    expect(Date.now() - t1).toBeLessThan(10_000);
    expect(stdoutTexts(after.logs)).not.toContain('too-late');
  }, 60_000);

  it('grep filters by regular expression; a bad one is a clear error', async () => {
    const id = await d.background(
      'for i in 1 2 3 4 5 6; do echo "alpha-$i"; echo "beta-$i"; done; echo "alpha-err" >&2',
    );
    await d.waitTerminal(id);
    const s = await d.status({ job_id: id, grep: '^alpha-[0-9]+$' });
    expect(s.logs.map((l) => l.text)).toEqual(range(6, 'alpha-'));
    const withCursor = await d.status({ job_id: id, cursor: 0, grep: 'beta-[246]' });
    expect(withCursor.logs.map((l) => l.text)).toEqual(['beta-2', 'beta-4', 'beta-6']);
    const err = await d.status({ job_id: id, grep: 'alpha', stream: 'stderr' });
    expect(err.logs.map((l) => [l.stream, l.text])).toEqual([['stderr', 'alpha-err']]);

    const bad = await toolError(d.call('get-job-status', { job_id: id, grep: '(unclosed' }));
    expect(bad).toMatch(/grep is not a valid regular expression/);
  });

  it('stream picks stdout or stderr lines', async () => {
    // Apart in time, so the merged view must show them in this order (within one read of the follower the two
    // files are read one after the other, and lines written in the same instant cannot be ordered).
    const id = await d.background(
      'echo out-1; sleep 0.4; echo err-1 >&2; sleep 0.4; echo out-2; sleep 0.4; echo err-2 >&2; exit 2',
    );
    const job = await d.waitTerminal(id);
    expect(job).toMatchObject({ status: 'failed', exit_code: 2 });
    const out = await d.status({ job_id: id, stream: 'stdout' });
    const err = await d.status({ job_id: id, stream: 'stderr' });
    const all = await d.status({ job_id: id, stream: 'all' });
    expect(out.logs.some((l) => l.stream === 'stderr')).toBe(false);
    expect(err.logs.some((l) => l.stream === 'stdout')).toBe(false);
    expect(stdoutTexts(out.logs)).toEqual(['out-1', 'out-2']);
    expect(err.logs.filter((l) => l.stream === 'stderr').map((l) => l.text)).toEqual(['err-1', 'err-2']);
    expect(all.logs.filter((l) => l.stream !== 'system').map((l) => l.text)).toEqual([
      'out-1',
      'err-1',
      'out-2',
      'err-2',
    ]);
  });

  it('tail_logs is bounded to 0..1000 and returns the newest lines', async () => {
    const id = await d.background('seq 1 1500');
    expect(await d.waitTerminal(id)).toMatchObject({ status: 'completed', exit_code: 0 });
    const t1000 = await d.status({ job_id: id, tail_logs: 1000, stream: 'stdout' });
    const out = stdoutTexts(t1000.logs);
    expect(out.length, JSON.stringify(t1000.logs.slice(-5))).toBeGreaterThan(0);
    expect(t1000.logs.length).toBeLessThanOrEqual(1000);
    expect(out.at(-1)).toBe('1500');
    expect(out.length).toBeGreaterThanOrEqual(990);
    expect(out).toEqual(range(1500, '').slice(1500 - out.length));
    const t7 = await d.status({ job_id: id, tail_logs: 7, stream: 'stdout' });
    expect(t7.logs.length).toBe(7);
    const t0 = await d.status({ job_id: id, tail_logs: 0 });
    expect(t0.logs).toEqual([]);
    expect(t0.total_lines).toBeGreaterThanOrEqual(1500);
    const page = await d.status({ job_id: id, tail_logs: 1000, cursor: 0 });
    expect(page.logs.length).toBe(1000);
    expect(page.has_more).toBe(true);

    for (const tail_logs of [1001, -1, 2.5])
      expect(await toolError(d.call('get-job-status', { job_id: id, tail_logs }))).toMatch(/tail_logs/);
    expect(await toolError(d.call('get-job-status', { job_id: id, wait_s: 31 }))).toMatch(/wait_s/);
  });

  it('unknown and malformed job ids are clear errors', async () => {
    const unknown = 'job_01JD3Q8X5K2M7N4P6R8S0T2V4W';
    for (const tool of ['get-job-status', 'cancel-job']) {
      expect(await toolError(d.call(tool, { job_id: unknown }))).toMatch(/No job job_01JD3Q8X5K2M7N4P6R8S0T2V4W/);
      for (const bad of ['../../etc/passwd', 'job_123', '', 'job_01JD3Q8X5K2M7N4P6R8S0T2V4W/../x']) {
        const text = await toolError(d.call(tool, { job_id: bad }));
        expect(text, `${tool} ${bad}`).toMatch(/not a job id/);
      }
    }
    expect(textOf(await d.call('list-jobs', { cursor: '../x' }))).toMatch(/cursor is not a job id/);
  });
});
