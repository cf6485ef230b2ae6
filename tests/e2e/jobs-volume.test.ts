import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textOf } from '../helpers/mcp.js';
import { Deckhand, JobsFixture, stdoutTexts, type StatusView } from '../helpers/jobs.js';

const N = 500_000;
const MB = 1024 * 1024;

describe('a job with 500,000 lines of output', () => {
  const fx = new JobsFixture();
  let d: Deckhand;

  beforeAll(async () => {
    d = await fx.setup();
  });
  afterAll(() => fx.teardown());

  it('completes, is read within the caps, keeps every line once, and deckhand stays small', async () => {
    const rssBefore = d.peakRss();
    const id = await d.background(`seq 1 ${N}`);
    const job = await d.waitTerminal(id, 60_000);
    expect(job).toMatchObject({ status: 'completed', exit_code: 0 });

    // The tail: at most tail_logs lines, the newest ones, in a bounded answer.
    const tailRes = await d.call('get-job-status', { job_id: id, tail_logs: 1000, stream: 'stdout' });
    const tail = tailRes.structuredContent as unknown as StatusView;
    expect(tail.logs.length).toBeLessThanOrEqual(1000);
    const tailOut = stdoutTexts(tail.logs);
    expect(tailOut.at(-1)).toBe(String(N));
    expect(tailOut).toEqual(Array.from({ length: tailOut.length }, (_, i) => String(N - tailOut.length + 1 + i)));
    expect(tail.total_lines).toBeGreaterThanOrEqual(N);
    expect(Buffer.byteLength(textOf(tailRes)) + Buffer.byteLength(JSON.stringify(tail))).toBeLessThan(512 * 1024);

    // Every line, in order, once: page through with the cursor (1000 lines a call).
    let cursor = 0;
    let expected = 1;
    let pages = 0;
    for (;;) {
      const s = await d.status({ job_id: id, cursor, tail_logs: 1000, stream: 'stdout' });
      expect(s.logs.length).toBeLessThanOrEqual(1000);
      pages++;
      for (const t of stdoutTexts(s.logs)) {
        if (t !== String(expected)) throw new Error(`line ${expected} expected, got ${JSON.stringify(t)}`);
        expected++;
      }
      if (!s.has_more) break;
      expect(s.next_cursor).toBeGreaterThan(cursor);
      cursor = s.next_cursor;
    }
    expect(expected - 1).toBe(N);
    expect(pages).toBeGreaterThanOrEqual(N / 1000);

    // A full sync-style result of the same job is cut to head + tail with a marker.
    const again = await d.ok<{ job_id: string; stdout: string; truncated: { stdout: boolean } }>('remote-bash', {
      server: 'box',
      command: `seq 1 ${N}`,
      mode: 'sync',
    });
    fx.track(again.job_id);
    expect(again.truncated.stdout).toBe(true);
    expect(again.stdout.split('\n').at(-1)).toBe(String(N));

    // The output never sits in memory: a 500,000-line log read whole through 500 pages leaves deckhand far below the
    // log's share of a naive reader. Measured here 146-148 MB from a start of ~98 MB (the bash grammar's WebAssembly
    // and SQLite are resident from the start); 237 MB while the SDK checked each answer with zod's async parse, whose
    // garbage outlived the young generation (mcp/output-validation.ts). The bound leaves room for a loaded machine.
    const peak = d.peakRss();
    expect(peak, `peak RSS ${Math.round(peak / MB)} MB (at start ${Math.round(rssBefore / MB)} MB)`).toBeLessThan(
      200 * MB,
    );
  }, 90_000);
});
