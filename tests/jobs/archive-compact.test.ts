import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobArchive } from '../../src/jobs/archive.js';
import { commitCompaction, prepareCompaction } from '../../src/jobs/archive-compact.js';
import { LowdbJobStore } from '../../src/jobs/store.js';
import * as T from '../../src/jobs/types.js';
import type { Job } from '../../src/jobs/types.js';
import { tempHome } from '../helpers/home.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00.000Z');
let home: { dir: string; cleanup(): void };
let archiveFile: string;
beforeEach(() => {
  home = tempHome();
  archiveFile = path.join(home.dir, 'jobs-archive.jsonl');
});
afterEach(() => home.cleanup());

const storeWith = (archiveDays?: number) =>
  new LowdbJobStore(home.dir, { keepFinished: 0, keepDays: 3650, ...(archiveDays ? { archiveDays } : {}) });

/** A job created `createdDaysAgo` and ended `endedDaysAgo` before NOW. */
async function ended(store: LowdbJobStore, createdDaysAgo: number, endedDaysAgo: number, command = 'x'): Promise<Job> {
  const created = new Date(NOW - createdDaysAgo * DAY);
  const j = await store.create({ type: 'remote-bash', server: 'web1', params: { command }, timeout_s: 60 }, created);
  const end = new Date(NOW - endedDaysAgo * DAY);
  return (await store.update(j.id, (r) => T.exitJob(T.startJob(r, created), 0, end)))!;
}

const lines = () => fs.readFileSync(archiveFile, 'utf8').trim().split('\n');

describe('archive retention', () => {
  it('drops archived jobs that ended before the cutoff and keeps the rest readable and listed', async () => {
    const store = storeWith(30);
    const old = await ended(store, 100, 99);
    // Created long ago but ended recently (it waited in the queue): kept, by when it ended.
    const lateEnd = await ended(store, 60, 10);
    const recent = await ended(store, 5, 5);
    const running = await store.create({ type: 'remote-bash', server: 'web1', params: {}, timeout_s: 60 });
    expect(await store.prune(new Date(NOW))).toBe(3);
    expect(lines()).toHaveLength(3);
    // A reader in another process has the archive indexed before it is compacted.
    const other = new JobArchive(archiveFile);
    expect((await other.get(old.id))?.id).toBe(old.id);

    expect(await store.compactArchive(new Date(NOW))).toBe(1);
    expect(lines().map((l) => (JSON.parse(l) as Job).id)).toEqual([lateEnd.id, recent.id]);
    expect(await store.get(old.id)).toBeUndefined();
    expect((await store.get(lateEnd.id))?.status).toBe('completed');
    expect((await store.list({}, 10)).jobs.map((j) => j.id)).toEqual([running.id, recent.id, lateEnd.id]);
    // The other reader sees the new file, not stale byte ranges into the old one.
    expect(await other.get(old.id)).toBeUndefined();
    expect((await other.get(recent.id))?.id).toBe(recent.id);
    expect(fs.readdirSync(home.dir).filter((n) => n.includes('.tmp'))).toEqual([]);

    // Nothing more to drop: the file is left alone.
    const ino = fs.statSync(archiveFile).ino;
    expect(await store.compactArchive(new Date(NOW))).toBe(0);
    expect(fs.statSync(archiveFile).ino).toBe(ino);
    // Appending after a compaction works as before.
    await ended(store, 1, 1);
    await store.prune(new Date(NOW));
    expect(lines()).toHaveLength(3);
  });

  it('keeps every record appended while the compacted copy was being made, and a torn last line', async () => {
    const store = storeWith(30);
    const old = await ended(store, 100, 99);
    await ended(store, 3, 3);
    await store.prune(new Date(NOW));
    const plan = await prepareCompaction(archiveFile, (j) => Date.parse(j.finished_at!) >= NOW - 30 * DAY);
    expect(plan).toMatchObject({ dropped: 1, kept: 1 });
    // Archived by another process meanwhile, then a crash mid-append left half a line.
    const late = await ended(store, 0, 0);
    await store.prune(new Date(NOW));
    fs.appendFileSync(archiveFile, '{"id":"job_torn');
    expect(commitCompaction(archiveFile, plan!)).toBe(true);

    const text = fs.readFileSync(archiveFile, 'utf8');
    expect(text.endsWith('{"id":"job_torn')).toBe(true);
    expect(text).not.toContain(old.id);
    const fresh = new JobArchive(archiveFile);
    expect((await fresh.get(late.id))?.id).toBe(late.id);
    expect(fresh.size).toBe(2);
    // The next append starts on a fresh line, so the torn one costs nothing else.
    const after = await ended(store, 0, 0);
    await store.prune(new Date(NOW));
    expect((await new JobArchive(archiveFile).get(after.id))?.id).toBe(after.id);
  });

  it('does not put a stale copy over an archive replaced meanwhile', async () => {
    const store = storeWith(30);
    await ended(store, 100, 99);
    await ended(store, 3, 3);
    await store.prune(new Date(NOW));
    const plan = await prepareCompaction(archiveFile, () => false);
    fs.copyFileSync(archiveFile, `${archiveFile}.new`);
    fs.renameSync(`${archiveFile}.new`, archiveFile);
    expect(commitCompaction(archiveFile, plan!)).toBe(false);
    expect(lines()).toHaveLength(2);
    expect(fs.existsSync(plan!.tmp)).toBe(false);
  });

  it('without an archive retention, or with nothing old enough, never reads the archive through', async () => {
    const keepAll = storeWith();
    await ended(keepAll, 400, 399);
    await keepAll.prune(new Date(NOW));
    expect(await keepAll.compactArchive(new Date(NOW))).toBe(0);
    expect(lines()).toHaveLength(1);
    expect(await storeWith(500).compactArchive(new Date(NOW))).toBe(0);
    expect(lines()).toHaveLength(1);
  });
});
