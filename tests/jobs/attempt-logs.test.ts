import { afterEach, describe, expect, it } from 'vitest';
import { readAttempts } from '../../src/jobs/attempt-logs.js';
import { FileLogStore } from '../../src/jobs/log/file-store.js';
import { attemptLogKey, parseLogKey } from '../../src/jobs/log/keys.js';
import * as T from '../../src/jobs/types.js';
import { tempHome } from '../helpers/home.js';

const homes: ReturnType<typeof tempHome>[] = [];
afterEach(() => homes.splice(0).forEach((h) => h.cleanup()));

/** A job whose attempts wrote `lines[n - 1]` lines each (the last one current while `running`). */
async function setUp(lines: number[], running: boolean) {
  const home = tempHome();
  homes.push(home);
  const logs = new FileLogStore(home.dir, { active: async () => [], get: async () => undefined });
  const base = T.createJob({ type: 'x', server: null, params: {}, timeout_s: 60 }, new Date(0));
  for (const [i, n] of lines.entries()) {
    const w = await logs.open(attemptLogKey(base.id, i + 1), { maxBytes: 1 << 20 });
    for (let k = 1; k <= n; k++) w.add('stdout', `a${i + 1} line ${k}`);
    await w.close();
  }
  const ended = (running ? lines.slice(0, -1) : lines).map((n, i) => ({
    n: i + 1,
    started_at: null,
    finished_at: new Date(0).toISOString(),
    status: 'failed' as const,
    exit_code: 75,
    error: null,
    log_lines: n,
  }));
  const job: T.Job = { ...base, status: running ? 'running' : 'failed', attempts: ended };
  return { logs, job };
}

describe('a job log across attempts', () => {
  it('keys: attempt 1 is the job id, attempt n "<id>.n"; nothing else parses', () => {
    const id = 'job_01JD3Q8X5K2M7N4P6R8S0T2V4W';
    expect(attemptLogKey(id, 1)).toBe(id);
    expect(parseLogKey(attemptLogKey(id, 3))).toEqual({ jobId: id, attempt: 3 });
    expect(parseLogKey(`${id}/../x`)).toBeUndefined();
    expect(parseLogKey(`${id}.0`)).toBeUndefined();
  });

  it('a tail is the current attempt, numbered on after the earlier ones', async () => {
    const { logs, job } = await setUp([3, 2, 4], true);
    const r = await readAttempts(logs, job, { limit: 2 });
    expect(r.lines.map((l) => [l.seq, l.text])).toEqual([
      [8, 'a3 line 3'],
      [9, 'a3 line 4'],
    ]);
    expect(r).toMatchObject({ attempt: 3, attempts: 3, total_lines: 9, next_cursor: 9, has_more: false });
  });

  it('a cursor reads on from one attempt into the next, in one sequence', async () => {
    const { logs, job } = await setUp([3, 2, 4], true);
    const all: string[] = [];
    let cursor = 0;
    for (let i = 0; i < 10; i++) {
      const r = await readAttempts(logs, job, { cursor, limit: 2 });
      all.push(...r.lines.map((l) => `${l.seq}:${l.text}`));
      cursor = r.next_cursor;
      if (!r.has_more) break;
    }
    expect(all).toEqual([
      '1:a1 line 1',
      '2:a1 line 2',
      '3:a1 line 3',
      '4:a2 line 1',
      '5:a2 line 2',
      '6:a3 line 1',
      '7:a3 line 2',
      '8:a3 line 3',
      '9:a3 line 4',
    ]);
    expect(cursor).toBe(9);
    // A page fills across attempt boundaries.
    const r = await readAttempts(logs, job, { cursor: 2, limit: 4 });
    expect(r.lines.map((l) => l.seq)).toEqual([3, 4, 5, 6]);
  });

  it('attempt: N reads an earlier attempt, its tail or after a cursor in it', async () => {
    const { logs, job } = await setUp([3, 2, 4], false);
    const r = await readAttempts(logs, job, { limit: 10, attempt: 2 });
    expect(r.lines.map((l) => `${l.seq}:${l.text}`)).toEqual(['4:a2 line 1', '5:a2 line 2']);
    expect(r).toMatchObject({ attempt: 2, attempts: 3, has_more: false, next_cursor: 5 });
    const first = await readAttempts(logs, job, { limit: 10, attempt: 1, cursor: 1 });
    expect(first.lines.map((l) => l.text)).toEqual(['a1 line 2', 'a1 line 3']);
  });

  it('a job of one attempt reads exactly as before', async () => {
    const { logs, job } = await setUp([5], true);
    const r = await readAttempts(logs, job, { cursor: 3, limit: 10 });
    expect(r.lines.map((l) => l.seq)).toEqual([4, 5]);
    expect(r).toMatchObject({ attempt: 1, attempts: 1, total_lines: 5 });
  });
});
