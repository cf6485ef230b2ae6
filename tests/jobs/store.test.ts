import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LowdbJobStore, type JobFilter } from '../../src/jobs/store.js';
import * as T from '../../src/jobs/types.js';
import type { Job } from '../../src/jobs/types.js';
import { childModules } from '../helpers/child-module.js';

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-store-'));
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

const KEEP_ALL = { keepFinished: 100_000, keepDays: 3650 };
const T0 = Date.parse('2025-03-01T00:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000);

/** Creates jobs one second apart (ids sort in creation order); `server` per job. */
async function seed(
  store: LowdbJobStore,
  servers: (string | null)[],
  type = 'remote-bash',
  firstSecond = 0,
): Promise<Job[]> {
  const out: Job[] = [];
  for (const [i, server] of servers.entries()) {
    out.push(await store.create({ type, server, params: { i }, timeout_s: 60 }, at(firstSecond + i)));
  }
  return out;
}

async function finish(store: LowdbJobStore, id: string, when: Date, exit = 0): Promise<Job> {
  const j = await store.update(id, (j) => T.exitJob(j.status === 'queued' ? T.startJob(j, when) : j, exit, when));
  return j!;
}

async function listAll(store: LowdbJobStore, filter: JobFilter, limit: number): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  for (let n = 0; n < 100; n++) {
    const page = await store.list(filter, limit, cursor);
    pages.push(page.jobs.map((j) => j.id));
    if (!page.next_cursor) return pages;
    expect(page.next_cursor).toBe(page.jobs.at(-1)!.id);
    cursor = page.next_cursor;
  }
  throw new Error('list did not end');
}

describe('LowdbJobStore', () => {
  it('creates, reads and updates records in DECKHAND_HOME/jobs.json, visible to a second instance', async () => {
    const store = new LowdbJobStore(home, KEEP_ALL);
    expect(store.file).toBe(path.join(home, 'jobs.json'));
    const job = await store.create({ type: 'remote-bash', server: 'web', params: { command: 'ls' }, timeout_s: 9 });
    expect(T.isJobId(job.id)).toBe(true);
    expect(job).toMatchObject({ status: 'queued', server: 'web', params: { command: 'ls' }, timeout_s: 9 });
    const other = new LowdbJobStore(home, KEEP_ALL);
    expect(await other.get(job.id)).toEqual(job);

    const started = await other.update(job.id, (j) => T.startJob(j, at(5)));
    expect(started).toMatchObject({ status: 'running', started_at: at(5).toISOString(), attempt: 1 });
    expect(await store.get(job.id)).toEqual(started);
    // A change that returns undefined leaves the record and answers it as it is.
    expect(await store.update(job.id, () => undefined)).toEqual(started);
    expect(await store.update('job_01JD3Q8X5K2M7N4P6R8S0T2V4W', (j) => j)).toBeUndefined();
    expect(await store.get('job_01JD3Q8X5K2M7N4P6R8S0T2V4W')).toBeUndefined();
    expect((await store.active()).map((j) => j.id)).toEqual([job.id]);
    const raw = JSON.parse(fs.readFileSync(store.file, 'utf8')) as { version: number; jobs: Job[] };
    expect(raw).toEqual({ version: 1, jobs: [started] });
    expect(fs.statSync(store.file).mode & 0o777).toBe(0o600);
  });

  it('claims queued jobs in FIFO order within the global and per-server limits', async () => {
    const store = new LowdbJobStore(home, KEEP_ALL);
    expect(
      await store.claim(
        () => true,
        (j) => T.startJob(j, at(0)),
        10,
      ),
    ).toEqual([]);
    const jobs = await seed(store, ['a', 'a', 'a', 'b', null, 'a', 'b', 'c']);
    await store.update(jobs[6]!.id, (j) => T.requestCancel(j, at(1)));
    const maxJobs = 5;
    const perServer = 2;
    const admit = (job: Job, running: readonly Job[]) =>
      running.length < maxJobs &&
      (job.server === null || running.filter((r) => r.server === job.server).length < perServer);
    const first = await store.claim(admit, (j) => T.startJob(j, at(10)), 3);
    // `max` stops at three even though more would be admitted.
    expect(first.map((j) => j.id)).toEqual([jobs[0]!.id, jobs[1]!.id, jobs[3]!.id]);
    for (const j of first) expect(j).toMatchObject({ status: 'running', started_at: at(10).toISOString() });
    const second = await store.claim(admit, (j) => T.startJob(j, at(11)), 10);
    // a is full (2), the cancel-requested b is skipped, the global limit stops after two more.
    expect(second.map((j) => j.id)).toEqual([jobs[4]!.id, jobs[7]!.id]);
    expect(await store.claim(admit, (j) => T.startJob(j, at(12)), 10)).toEqual([]);

    await finish(store, jobs[0]!.id, at(20));
    const third = await store.claim(admit, (j) => T.startJob(j, at(21)), 10);
    // The oldest waiting a job goes first, not the newer one.
    expect(third.map((j) => j.id)).toEqual([jobs[2]!.id]);
    const states = await Promise.all(jobs.map(async (j) => (await store.get(j.id))!.status));
    expect(states).toEqual(['completed', 'running', 'running', 'running', 'running', 'queued', 'queued', 'running']);
  });

  it('creates and starts a job in one write when it may run now, and only then (FIFO, limits)', async () => {
    const store = new LowdbJobStore(home, KEEP_ALL);
    const onePerServer = (job: Job, running: readonly Job[]) => !running.some((r) => r.server === job.server);
    const start = (j: Job) => T.startJob(j, at(10));
    const spec = (server: string) => ({ type: 'remote-bash', server, params: {}, timeout_s: 60 });
    const a = await store.createAndClaim(spec('a'), at(1), 'job_01JD3Q8X5K2M7N4P6R8S0T2V41', onePerServer, start);
    expect(a).toMatchObject({ status: 'running', attempt: 1, started_at: at(10).toISOString() });
    // The limit refuses the second on server a: it is queued, not started.
    const a2 = await store.createAndClaim(spec('a'), at(2), 'job_01JD3Q8X5K2M7N4P6R8S0T2V42', onePerServer, start);
    expect(a2.status).toBe('queued');
    // Server b has room, but an older job is waiting: FIFO keeps the newcomer behind it.
    const b = await store.createAndClaim(spec('b'), at(3), 'job_01JD3Q8X5K2M7N4P6R8S0T2V43', onePerServer, start);
    expect(b.status).toBe('queued');
    const again = new LowdbJobStore(home, KEEP_ALL);
    expect((await again.get(a.id))?.status).toBe('running');
    expect((await again.active()).map((j) => [j.id, j.status])).toEqual([
      [a.id, 'running'],
      [a2.id, 'queued'],
      [b.id, 'queued'],
    ]);
  });

  it('ends a job and starts the next queued one in the same write', async () => {
    const store = new LowdbJobStore(home, KEEP_ALL);
    const one = (job: Job, running: readonly Job[]) => running.length === 0;
    const [a, b, c] = await seed(store, ['s', 's', 's']);
    await store.claim(one, (j) => T.startJob(j, at(5)), 10);
    const { job, claimed } = await store.updateAndClaim(
      a!.id,
      (j) => T.exitJob(j, 0, at(6)),
      one,
      (j) => T.startJob(j, at(6)),
      10,
    );
    expect(job).toMatchObject({ id: a!.id, status: 'completed' });
    expect(claimed.map((j) => j.id)).toEqual([b!.id]);
    const again = new LowdbJobStore(home, KEEP_ALL);
    expect((await again.get(b!.id))?.status).toBe('running');
    expect((await again.get(c!.id))?.status).toBe('queued');
    // An unknown id changes nothing and starts nothing.
    expect(
      await store.updateAndClaim(
        'job_01JD3Q8X5K2M7N4P6R8S0T2V4Z',
        (j) => j,
        one,
        (j) => j,
        10,
      ),
    ).toEqual({
      job: undefined,
      claimed: [],
    });
  });

  it('lists newest first with filters and cursor pages', async () => {
    const store = new LowdbJobStore(home, KEEP_ALL);
    const jobs = await seed(
      store,
      Array.from({ length: 25 }, (_, i) => (i % 2 ? 'odd' : 'even')),
    );
    await seed(store, ['odd'], 'deploy-app', 1000);
    for (const j of jobs.slice(0, 5)) await finish(store, j.id, at(100));
    const newestFirst = jobs.map((j) => j.id).reverse();

    const pages = await listAll(store, { type: 'remote-bash' }, 10);
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(pages.flat()).toEqual(newestFirst);
    expect((await store.list({}, 1)).jobs[0]!.type).toBe('deploy-app');
    expect((await listAll(store, { server: 'odd', type: 'remote-bash' }, 4)).flat()).toEqual(
      newestFirst.filter((_, i) => (24 - i) % 2 === 1),
    );
    expect((await listAll(store, { status: 'completed' }, 2)).flat()).toEqual(newestFirst.slice(20));
    expect(await store.list({ status: 'lost' }, 10)).toEqual({ jobs: [], next_cursor: null });
    // A page that ends exactly at the last job has no next cursor.
    expect((await store.list({ type: 'remote-bash' }, 25)).next_cursor).toBeNull();
  });

  it('prunes finished jobs past the kept count to the archive, where get and list still find them', async () => {
    const store = new LowdbJobStore(home, { keepFinished: 3, keepDays: 3650 });
    const jobs = await seed(
      store,
      Array.from({ length: 12 }, () => 'web'),
    );
    for (const j of jobs.slice(0, 10)) await finish(store, j.id, at(50), j === jobs[4] ? 3 : 0);
    expect(await store.prune(at(60))).toBe(7);
    expect(await store.prune(at(60))).toBe(0);

    const doc = JSON.parse(fs.readFileSync(store.file, 'utf8')) as { jobs: Job[] };
    expect(doc.jobs.map((j) => j.id)).toEqual(jobs.slice(7).map((j) => j.id));
    const archived = fs.readFileSync(path.join(home, 'jobs-archive.jsonl'), 'utf8').trim().split('\n');
    expect(archived.map((l) => (JSON.parse(l) as Job).id)).toEqual(jobs.slice(0, 7).map((j) => j.id));
    expect(await store.get(jobs[4]!.id)).toMatchObject({ status: 'failed', exit_code: 3 });
    expect(await new LowdbJobStore(home, KEEP_ALL).get(jobs[0]!.id)).toMatchObject({ status: 'completed' });

    const pages = await listAll(store, {}, 5);
    expect(pages.flat()).toEqual(jobs.map((j) => j.id).reverse());
    expect((await listAll(store, { status: 'failed' }, 5)).flat()).toEqual([jobs[4]!.id]);
  });

  it('prunes finished jobs older than the kept days, never active ones', async () => {
    const store = new LowdbJobStore(home, { keepFinished: 1000, keepDays: 2 });
    const jobs = await seed(store, ['a', 'a', 'a', 'a']);
    const day = 86_400;
    await finish(store, jobs[0]!.id, at(0));
    await finish(store, jobs[1]!.id, at(2 * day + 10));
    await store.update(jobs[2]!.id, (j) => T.startJob(j, at(0)));
    const now = at(4 * day);
    expect(await store.prune(now)).toBe(1);
    expect((await store.active()).map((j) => j.id)).toEqual([jobs[2]!.id, jobs[3]!.id]);
    expect(await store.get(jobs[0]!.id)).toMatchObject({ status: 'completed' });
    const doc = JSON.parse(fs.readFileSync(store.file, 'utf8')) as { jobs: Job[] };
    expect(doc.jobs.map((j) => j.id)).toEqual(jobs.slice(1).map((j) => j.id));
  });

  it('lists archived jobs that are newer than a long-running job still in the store', async () => {
    const store = new LowdbJobStore(home, { keepFinished: 2, keepDays: 3650 });
    const [old, ...rest] = await seed(
      store,
      Array.from({ length: 7 }, () => 'web'),
    );
    await store.update(old!.id, (j) => T.startJob(j, at(0)));
    for (const j of rest) await finish(store, j.id, at(30));
    expect(await store.prune(at(60))).toBe(4);
    const all = (await listAll(store, {}, 3)).flat();
    expect(all).toEqual(
      [...rest, old!]
        .map((j) => j.id)
        .reverse()
        .sort()
        .reverse(),
    );
    expect(all).toHaveLength(7);
  });

  it('pages by id even when jobs were written out of id order (ids are made before the lock is taken)', async () => {
    const store = new LowdbJobStore(home, KEEP_ALL);
    const spec = { type: 'remote-bash', server: 'web', params: {}, timeout_s: 60 };
    const late = await store.create(spec, at(10), T.newJobId(T0 + 10_000));
    const early = await store.create(spec, at(5), T.newJobId(T0 + 5_000));
    const newest = await store.create(spec, at(20), T.newJobId(T0 + 20_000));
    expect((await listAll(store, {}, 1)).flat()).toEqual([newest.id, late.id, early.id]);
  });

  it('never lets two processes claim the same job', { timeout: 120_000 }, async () => {
    const N = 200;
    const store = new LowdbJobStore(home, KEEP_ALL);
    const jobs = await seed(
      store,
      Array.from({ length: N }, (_, i) => `s${i % 7}`),
    );
    const script = path.join(home, 'claimer.mjs');
    const { store: storeUrl, types: typesUrl } = await childModules({
      store: 'src/jobs/store.ts',
      types: 'src/jobs/types.ts',
    });
    fs.writeFileSync(
      script,
      `import fs from 'node:fs';
import { LowdbJobStore } from ${JSON.stringify(storeUrl)};
import { startJob } from ${JSON.stringify(typesUrl)};
const [home, go] = process.argv.slice(2);
const store = new LowdbJobStore(home, { keepFinished: 100000, keepDays: 3650 });
while (!fs.existsSync(go)) await new Promise((r) => setTimeout(r, 5));
const mine = [];
for (;;) {
  const got = await store.claim(() => true, (j) => startJob(j, new Date()), 1);
  if (got.length === 0) break;
  mine.push(...got.map((j) => j.id));
}
process.stdout.write(JSON.stringify(mine));
`,
    );
    const go = path.join(home, 'go');
    const run = () =>
      new Promise<string[]>((resolve, reject) => {
        const child = spawn(process.execPath, [script, home, go], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.once('error', reject);
        child.once('close', (code) =>
          code === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(`claimer exited ${code}: ${err}`)),
        );
      });
    const both = Promise.all([run(), run()]);
    fs.writeFileSync(go, '');
    const [a, b] = await both;
    expect(a.length, 'first process claimed some').toBeGreaterThan(0);
    expect(b.length, 'second process claimed some').toBeGreaterThan(0);
    expect(a.filter((id) => b.includes(id))).toEqual([]);
    expect([...a, ...b].sort()).toEqual(jobs.map((j) => j.id).sort());
    const final = await new LowdbJobStore(home, KEEP_ALL).active();
    expect(final.every((j) => j.status === 'running' && j.attempt === 1)).toBe(true);
    expect(final).toHaveLength(N);
  });
});
