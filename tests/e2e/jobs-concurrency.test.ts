import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deckhand, JobsFixture, TERMINAL, type JobView } from '../helpers/jobs.js';

describe('20 concurrent jobs on one server', () => {
  const fx = new JobsFixture();
  let d: Deckhand;

  beforeAll(async () => {
    d = await fx.setup({ DECKHAND_MAX_JOBS_PER_SERVER: '4' });
  });
  afterAll(() => fx.teardown());

  it('keep their lines apart, never run more than 4 at once, and start in FIFO order', async () => {
    const ids: string[] = [];
    const mine = new Set<string>();
    const runningCounts: number[] = [];
    let sampling = true;
    // Snapshots of list-jobs while the jobs are created and run.
    const sampler = (async () => {
      while (sampling) {
        const page = await d.ok<{ jobs: JobView[] }>('list-jobs', { server: 'box', limit: 50 });
        runningCounts.push(page.jobs.filter((j) => mine.has(j.id) && j.status === 'running').length);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      for (let k = 0; k < 20; k++) {
        const id = await d.background(
          `for i in 1 2 3 4 5 6; do echo "mark${k}x-$i"; echo "emark${k}x-$i" >&2; sleep 0.25; done`,
        );
        ids.push(id);
        mine.add(id);
      }
      for (const id of ids) expect((await d.waitTerminal(id, 90_000)).status).toBe('completed');
    } finally {
      sampling = false;
      await sampler;
    }

    expect(runningCounts.length).toBeGreaterThan(10);
    expect(Math.max(...runningCounts)).toBeLessThanOrEqual(4);
    // The limit was reached, not merely respected by running one at a time.
    expect(Math.max(...runningCounts)).toBe(4);

    const jobs = await Promise.all(ids.map(async (id) => (await d.status({ job_id: id, tail_logs: 0 })).job));
    // FIFO: in creation order (ids sort by creation), each started no earlier than the one before.
    for (let i = 1; i < jobs.length; i++)
      expect(
        Date.parse(jobs[i]!.started_at!),
        `${jobs[i]!.id} started before ${jobs[i - 1]!.id}`,
      ).toBeGreaterThanOrEqual(Date.parse(jobs[i - 1]!.started_at!));

    for (const [k, id] of ids.entries()) {
      const lines = await d.allLines(id);
      const want = (p: string) => Array.from({ length: 6 }, (_, i) => `${p}mark${k}x-${i + 1}`);
      expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.text)).toEqual(want(''));
      expect(lines.filter((l) => l.stream === 'stderr').map((l) => l.text)).toEqual(want('e'));
    }
  }, 90_000);
});

describe('two deckhand processes on one DECKHAND_HOME', () => {
  const fx = new JobsFixture();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-two-'));
  let a: Deckhand;
  let b: Deckhand;

  beforeAll(async () => {
    a = await fx.setup({ DECKHAND_MAX_JOBS_PER_SERVER: '6' });
    b = await fx.start();
  });
  afterAll(async () => {
    await fx.teardown();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('run every job created by either of them exactly once', async () => {
    const runs = path.join(scratch, 'runs');
    const create = async (who: Deckhand, tag: string) => {
      const ids: string[] = [];
      for (let i = 0; i < 12; i++)
        ids.push(await who.background(`echo "${tag}-${i}" >> ${runs}; sleep 0.2; echo "ran ${tag}-${i}"`));
      return ids;
    };
    const [fromA, fromB] = await Promise.all([create(a, 'A'), create(b, 'B')]);
    const all = [...fromA, ...fromB];
    expect(new Set(all).size).toBe(24);

    // Each process sees every job, whoever created it, and each ends completed.
    for (const id of all) {
      const job = await (all.indexOf(id) % 2 ? a : b).waitTerminal(id, 60_000);
      expect(job).toMatchObject({ status: 'completed', exit_code: 0, attempt: 1 });
      expect(TERMINAL.has(job.status)).toBe(true);
    }
    const lines = fs.readFileSync(runs, 'utf8').trim().split('\n');
    expect(lines.length).toBe(24);
    const want = [...Array.from({ length: 12 }, (_, i) => `A-${i}`), ...Array.from({ length: 12 }, (_, i) => `B-${i}`)];
    expect([...lines].sort()).toEqual([...want].sort());
    for (const [i, id] of fromA.entries())
      expect((await b.allLines(id)).filter((l) => l.stream === 'stdout').map((l) => l.text)).toEqual([`ran A-${i}`]);
  }, 90_000);
});
