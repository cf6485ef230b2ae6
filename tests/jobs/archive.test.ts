import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobArchive } from '../../src/jobs/archive.js';
import * as T from '../../src/jobs/types.js';
import type { Job } from '../../src/jobs/types.js';

let home: string;
let file: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-archive-'));
  file = path.join(home, 'jobs-archive.jsonl');
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(home, { recursive: true, force: true });
});

const T0 = Date.parse('2025-03-01T00:00:00.000Z');

/** Finished jobs one second apart, so their ids sort in creation order. */
function finished(n: number, first = 0, server: string | null = 'web', type = 'remote-bash'): Job[] {
  return Array.from({ length: n }, (_, k) => {
    const at = new Date(T0 + (first + k) * 1000);
    const job = T.createJob({ type, server, params: { k: first + k }, timeout_s: 60 }, at, T.newJobId(at.getTime()));
    return T.exitJob(T.startJob(job, at), (first + k) % 3, at);
  });
}

/** Every byte range the archive reads through a file handle, while `fn` runs. */
async function readsDuring(fn: () => Promise<unknown>): Promise<{ position: number; length: number }[]> {
  const probe = await fs.promises.open(fileURLToPath(import.meta.url), 'r');
  const proto = Object.getPrototypeOf(probe) as fs.promises.FileHandle;
  await probe.close();
  const seen: { position: number; length: number }[] = [];
  const real = proto.read;
  const spy = vi.spyOn(proto, 'read').mockImplementation(function (this: fs.promises.FileHandle, ...args: unknown[]) {
    const [, , length, position] = args as [Buffer, number, number, number];
    seen.push({ position, length });
    return (real as (...a: unknown[]) => ReturnType<fs.promises.FileHandle['read']>).apply(this, args);
  } as fs.promises.FileHandle['read']);
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return seen;
}

describe('JobArchive', () => {
  it('finds records by id and reads only the bytes appended since its last look', async () => {
    const writer = new JobArchive(file);
    const reader = new JobArchive(file);
    const first = finished(50);
    writer.appendSync(first);
    expect(await reader.get(first[7]!.id)).toEqual(first[7]);
    expect(reader.size).toBe(50);
    const size = fs.statSync(file).size;

    const more = finished(20, 50);
    writer.appendSync(more);
    const reads = await readsDuring(async () => expect(await reader.get(more[19]!.id)).toEqual(more[19]));
    // The catch-up starts at the old end; the only other read is the record itself.
    expect(reads.length).toBe(2);
    expect(reads.every((r) => r.position >= size)).toBe(true);
    expect(reader.size).toBe(70);

    // Nothing appended: no reading beyond the record asked for.
    const idle = await readsDuring(() => reader.get(first[0]!.id));
    expect(idle).toHaveLength(1);
    expect(await reader.get('job_01JD3Q8X5K2M7N4P6R8S0T2V4W')).toBeUndefined();
  });

  it('lists newest first below a cursor, filtering on the summary before reading a record', async () => {
    const archive = new JobArchive(file);
    const web = finished(30, 0, 'web');
    const db = finished(30, 100, 'db', 'deploy-app');
    // Appended out of id order (a long job archived late), in several batches.
    archive.appendSync(db.slice(10));
    archive.appendSync(web);
    archive.appendSync(db.slice(0, 10));
    const all = [...web, ...db]
      .map((j) => j.id)
      .sort()
      .reverse();
    expect((await archive.newest(1000, () => true)).map((j) => j.id)).toEqual(all);
    expect((await archive.newest(5, () => true, db[3]!.id)).map((j) => j.id)).toEqual(
      all.filter((id) => id < db[3]!.id).slice(0, 5),
    );
    const failed = await archive.newest(1000, (s) => s.server === 'web' && s.status === 'failed');
    expect(failed.map((j) => j.id)).toEqual(
      web
        .filter((j) => j.status === 'failed')
        .map((j) => j.id)
        .reverse(),
    );
    expect((await archive.newest(3, (s) => s.type === 'deploy-app')).map((j) => j.id)).toEqual(
      db
        .slice(-3)
        .map((j) => j.id)
        .reverse(),
    );
  });

  it('keeps one copy of a job archived twice, the latest, whatever the order', async () => {
    const archive = new JobArchive(file);
    const jobs = finished(10);
    archive.appendSync(jobs);
    expect(archive.size).toBe(0);
    await archive.refresh();
    // A crash between the append and the rewrite of jobs.json: the next prune appends the same jobs again.
    const again = jobs.slice(2, 5).map((j) => ({ ...j, result: { second: true } }));
    archive.appendSync(again);
    const listed = await archive.newest(100, () => true);
    expect(listed.map((j) => j.id)).toEqual(jobs.map((j) => j.id).reverse());
    expect(await archive.get(jobs[3]!.id)).toMatchObject({ result: { second: true } });
    // The same in a fresh index built in one pass.
    expect(await new JobArchive(file).get(jobs[4]!.id)).toMatchObject({ result: { second: true } });
    expect((await new JobArchive(file).newest(100, () => true)).length).toBe(10);
  });

  it('skips a torn line left by a crash, and the next append starts on a line of its own', async () => {
    const archive = new JobArchive(file);
    const [a, b, c] = finished(3);
    archive.appendSync([a!]);
    // Killed in the middle of writing b.
    fs.appendFileSync(file, JSON.stringify(b).slice(0, 40));
    expect(await archive.get(a!.id)).toEqual(a);
    expect(await archive.get(b!.id)).toBeUndefined();
    archive.appendSync([b!, c!]);
    expect(await archive.get(b!.id)).toEqual(b);
    expect(await archive.get(c!.id)).toEqual(c);
    expect((await new JobArchive(file).newest(10, () => true)).map((j) => j.id)).toEqual([c!.id, b!.id, a!.id]);
  });

  it('reads lines written by an older deckhand (record key order) and non-ASCII names', async () => {
    const [old] = finished(1, 0, 'wéb-ü');
    const [fresh] = finished(1, 1, 'srv-☃', 'typé');
    fs.writeFileSync(file, JSON.stringify(old) + '\n');
    const archive = new JobArchive(file);
    archive.appendSync([fresh!]);
    expect(await archive.get(old!.id)).toEqual(old);
    expect(await archive.get(fresh!.id)).toEqual(fresh);
    expect((await archive.newest(10, (s) => s.server === 'srv-☃' && s.type === 'typé')).map((j) => j.id)).toEqual([
      fresh!.id,
    ]);
    expect((await archive.newest(10, (s) => s.server === 'wéb-ü')).map((j) => j.id)).toEqual([old!.id]);
  });

  it('starts over when the file is moved aside or replaced', async () => {
    const archive = new JobArchive(file);
    const jobs = finished(5);
    archive.appendSync(jobs);
    expect(await archive.get(jobs[0]!.id)).toEqual(jobs[0]);
    fs.renameSync(file, `${file}.old`);
    expect(await archive.get(jobs[0]!.id)).toBeUndefined();
    expect(await archive.newest(10, () => true)).toEqual([]);
    const other = finished(2, 100);
    archive.appendSync(other);
    expect(await archive.get(jobs[0]!.id)).toBeUndefined();
    expect((await archive.newest(10, () => true)).map((j) => j.id)).toEqual([other[1]!.id, other[0]!.id]);
  });

  it('answers concurrent readers while it catches up, indexing each line once', async () => {
    const archive = new JobArchive(file);
    const jobs = finished(300);
    archive.appendSync(jobs.slice(0, 100));
    await archive.refresh();
    archive.appendSync(jobs.slice(100));
    const got = await Promise.all(jobs.map((j) => archive.get(j.id)));
    expect(got.map((j) => j?.id)).toEqual(jobs.map((j) => j.id));
    expect(archive.size).toBe(300);
  });
});
