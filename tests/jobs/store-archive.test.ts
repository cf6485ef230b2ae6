import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobArchive } from '../../src/jobs/archive.js';
import { LowdbJobStore, type JobFilter } from '../../src/jobs/store.js';
import * as T from '../../src/jobs/types.js';
import type { Job } from '../../src/jobs/types.js';
import { AtomicJsonFile } from '../../src/store/document.js';
import { childModules } from '../helpers/child-module.js';

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-store-archive-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(home, { recursive: true, force: true });
});

const T0 = Date.parse('2025-03-01T00:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000);
const docIds = (store: LowdbJobStore) =>
  (JSON.parse(fs.readFileSync(store.file, 'utf8')) as { jobs: Job[] }).jobs.map((j) => j.id);
const archivedIds = () =>
  fs
    .readFileSync(path.join(home, 'jobs-archive.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as Job).id);

async function listAll(store: LowdbJobStore, filter: JobFilter, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < 1000; n++) {
    const page = await store.list(filter, limit, cursor);
    expect(page.jobs.length).toBeLessThanOrEqual(limit);
    ids.push(...page.jobs.map((j) => j.id));
    if (!page.next_cursor) return ids;
    cursor = page.next_cursor;
  }
  throw new Error('list did not end');
}

/** `n` jobs one second apart on servers a/b/c, of two types; all but every seventh finished, with mixed outcomes. */
async function history(store: LowdbJobStore, n: number): Promise<Job[]> {
  const jobs: Job[] = [];
  for (let i = 0; i < n; i++) {
    const spec = { type: i % 4 ? 'remote-bash' : 'deploy-app', server: 'abc'[i % 3]!, params: { i }, timeout_s: 60 };
    const job = await store.create(spec, at(i), T.newJobId(T0 + i * 1000));
    if (i % 7 === 0) {
      jobs.push((await store.update(job.id, (j) => T.startJob(j, at(i))))!);
      continue;
    }
    jobs.push((await store.update(job.id, (j) => T.exitJob(T.startJob(j, at(i)), i % 5 ? 0 : 2, at(i + 1))))!);
  }
  return jobs;
}

describe('LowdbJobStore with an archive', () => {
  it('keeps only active and the newest finished jobs in jobs.json, compact; the rest moves to the archive', async () => {
    const store = new LowdbJobStore(home, { keepFinished: 10, keepDays: 3650 });
    const jobs = await history(store, 60);
    const active = jobs.filter((j) => !T.isTerminal(j.status));
    const done = jobs.filter((j) => T.isTerminal(j.status));
    expect(await store.prune(at(100))).toBe(done.length - 10);
    expect(docIds(store)).toEqual(
      jobs.filter((j) => active.includes(j) || done.slice(-10).includes(j)).map((j) => j.id),
    );
    expect(archivedIds()).toEqual(done.slice(0, -10).map((j) => j.id));
    expect(fs.readFileSync(store.file, 'utf8').split('\n')).toHaveLength(2);
    // Every job is still found, wherever it lives, by this store and by another process's.
    const other = new LowdbJobStore(home, { keepFinished: 10, keepDays: 3650 });
    for (const j of jobs) {
      expect(await store.get(j.id)).toEqual(j);
      expect(await other.get(j.id)).toEqual(j);
    }
  });

  it('pages through document and archive newest first, with every filter, like a list of all jobs would', async () => {
    const store = new LowdbJobStore(home, { keepFinished: 15, keepDays: 3650 });
    const jobs = await history(store, 120);
    await store.prune(at(200));
    // A long-running job that finishes after newer ones were archived, then the next prune moves more.
    await store.update(jobs[0]!.id, (j) => T.exitJob(j, 0, at(300)));
    for (const j of jobs.slice(1, 40))
      if (j.status === 'running') await store.update(j.id, (x) => T.exitJob(x, 1, at(300)));
    await store.prune(at(400));
    const now = await Promise.all(jobs.map(async (j) => (await store.get(j.id))!));
    const filters: JobFilter[] = [
      {},
      { server: 'a' },
      { type: 'deploy-app' },
      { status: 'failed' },
      { status: 'running', server: 'b' },
      { status: 'completed', server: 'c', type: 'remote-bash' },
      { server: 'nowhere' },
    ];
    for (const filter of filters) {
      const want = now
        .filter(
          (j) =>
            (!filter.status || j.status === filter.status) &&
            (!filter.server || j.server === filter.server) &&
            (!filter.type || j.type === filter.type),
        )
        .map((j) => j.id)
        .reverse();
      for (const limit of [1, 7, 50]) expect(await listAll(store, filter, limit), JSON.stringify(filter)).toEqual(want);
    }
    const page = await store.list({}, 10, jobs[50]!.id);
    expect(page.jobs).toEqual(now.slice(40, 50).reverse());
  });

  it('loses no job and lists none twice when the rewrite fails after the archive append (a crash between them)', async () => {
    const store = new LowdbJobStore(home, { keepFinished: 2, keepDays: 3650 });
    const jobs = await history(store, 20);
    vi.spyOn(AtomicJsonFile.prototype, 'writeStamped').mockRejectedValueOnce(new Error('killed'));
    await expect(store.prune(at(100))).rejects.toThrow('killed');
    const inBoth = archivedIds();
    expect(inBoth.length).toBeGreaterThan(0);
    expect(docIds(store)).toEqual(jobs.map((j) => j.id));
    expect(await listAll(store, {}, 6)).toEqual(jobs.map((j) => j.id).reverse());
    for (const j of jobs) expect(await store.get(j.id)).toEqual(j);

    // The next prune moves them again: duplicated in the file, once in every answer.
    expect(await store.prune(at(100))).toBe(inBoth.length);
    expect(archivedIds()).toEqual([...inBoth, ...inBoth]);
    expect(await listAll(store, {}, 6)).toEqual(jobs.map((j) => j.id).reverse());
    expect(await new LowdbJobStore(home, { keepFinished: 2, keepDays: 3650 }).list({}, 100)).toMatchObject({
      next_cursor: null,
    });
    expect((await store.list({}, 100)).jobs).toHaveLength(20);
  });

  it('loses no job when a process is SIGKILLed between the archive append and the rewrite', async () => {
    const store = new LowdbJobStore(home, { keepFinished: 3, keepDays: 3650 });
    const jobs = await history(store, 30);
    const urls = await childModules({ store: 'src/jobs/store.ts', document: 'src/store/document.ts' });
    const url = (name: keyof typeof urls) => JSON.stringify(urls[name]);
    const script = `
      const { LowdbJobStore } = await import(${url('store')});
      const { AtomicJsonFile } = await import(${url('document')});
      AtomicJsonFile.prototype.writeStamped = async () => process.kill(process.pid, 'SIGKILL');
      await new LowdbJobStore(process.argv[1], { keepFinished: 3, keepDays: 3650 }).prune();`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, home], { encoding: 'utf8' });
    expect(r.signal, r.stderr).toBe('SIGKILL');
    expect(archivedIds().length).toBeGreaterThan(0);
    // A fresh process (the next deckhand) takes over the dead holder's lock, finds every job once, and prunes again.
    const next = new LowdbJobStore(home, { keepFinished: 3, keepDays: 3650 });
    expect(await listAll(next, {}, 8)).toEqual(jobs.map((j) => j.id).reverse());
    expect(await next.prune(at(100))).toBe(archivedIds().length / 2);
    for (const j of jobs) expect(await next.get(j.id)).toEqual(j);
    expect(await listAll(next, {}, 8)).toEqual(jobs.map((j) => j.id).reverse());
  });

  it('does not let a change that mutates the record it is given alter the stored one when it fails', async () => {
    const store = new LowdbJobStore(home, { keepFinished: 10, keepDays: 3650 });
    const job = structuredClone(await store.create({ type: 'remote-bash', server: 'a', params: {}, timeout_s: 60 }));
    await expect(
      store.update(job.id, (j) => {
        (j as { status: string }).status = 'running';
        throw new Error('nope');
      }),
    ).rejects.toThrow('nope');
    expect(await store.get(job.id)).toEqual(job);
    // Not even when it succeeds without returning the record: undefined leaves the record as stored.
    await store.update(job.id, (j) => {
      (j as { status: string }).status = 'running';
      return undefined;
    });
    expect(await store.get(job.id)).toEqual(job);
  });

  it('answers get for one of 10,000 archived jobs quickly, without holding their records', async () => {
    const archive = new JobArchive(path.join(home, 'jobs-archive.jsonl'));
    const jobs: Job[] = [];
    for (let i = 0; i < 10_000; i++) {
      const job = T.createJob({ type: 'remote-bash', server: 's', params: { i }, timeout_s: 60 }, at(i));
      jobs.push(T.exitJob(T.startJob(job, at(i)), 0, at(i)));
    }
    archive.appendSync(jobs);
    const store = new LowdbJobStore(home, { keepFinished: 10, keepDays: 3650 });
    expect(await store.get(jobs[0]!.id)).toEqual(jobs[0]);
    const times: number[] = [];
    for (let k = 0; k < 200; k++) {
      const j = jobs[(k * 7919) % jobs.length]!;
      const t = performance.now();
      expect((await store.get(j.id))?.id).toBe(j.id);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    // The median, with room for a busy machine: a get that parsed the archive would take ~50 ms or more.
    expect(times[100]).toBeLessThan(10);
    expect((await store.list({ server: 's' }, 5, jobs[5000]!.id)).jobs.map((j) => j.id)).toEqual(
      jobs
        .slice(4995, 5000)
        .map((j) => j.id)
        .reverse(),
    );
  });
});
