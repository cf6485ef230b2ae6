import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobDir } from '../../../src/jobs/log/file-store.js';
import { readLog } from '../../../src/jobs/log/reader.js';
import { readRemoval, REMOVAL_FILE, writeRemoval } from '../../../src/jobs/log/removal.js';
import { sweepJobLogs, type LogRetentionPolicy } from '../../../src/jobs/log/retention.js';
import { listSegments } from '../../../src/jobs/log/segments.js';
import { FileLogWriter } from '../../../src/jobs/log/writer.js';
import type { Stores } from '../../../src/jobs/store/contract.js';
import { openSqliteStores } from '../../../src/jobs/store/sqlite/index.js';
import * as T from '../../../src/jobs/types.js';
import type { Job } from '../../../src/jobs/types.js';
import { tempHome } from '../../helpers/home.js';

const DAY = 86_400_000;
let home: { dir: string; cleanup(): void };
let stores: Stores;
beforeEach(async () => {
  home = tempHome();
  stores = await openSqliteStores({ home: home.dir, instance: { id: 'i', host: 'h', pid: 1 } });
});
afterEach(async () => {
  await stores.close();
  home.cleanup();
});

async function job(finished: boolean): Promise<Job> {
  const [j] = await stores.jobs.create(
    [{ id: T.newJobId(), type: 'remote-bash', server: 'web1', params: { command: 'x' }, timeout_s: 60 }],
    Date.now(),
  );
  const started = (await stores.jobs.update(j!.id, (r) => T.startJob(r, new Date())))!;
  return finished ? (await stores.jobs.update(j!.id, (r) => T.exitJob(r, 0, new Date())))! : started;
}

/** Writes `n` lines of about 100 bytes to a job's log and dates every file in its directory `ageDays` back. */
function log(id: string, n: number, ageDays: number): string {
  const dir = jobDir(home.dir, id);
  const w = new FileLogWriter(dir, { maxBytes: 1 << 30 });
  for (let i = 1; i <= n; i++) {
    const text = `line ${i} `.padEnd(99, '.');
    w.add('stdout', text, w.offsets.out + text.length + 1);
  }
  w.close();
  age(dir, ageDays);
  return dir;
}

function age(dir: string, days: number): void {
  const when = new Date(Date.now() - days * DAY);
  for (const name of fs.readdirSync(dir)) fs.utimesSync(path.join(dir, name), when, when);
  fs.utimesSync(dir, when, when);
}

/** What the sweep asks about jobs, answered by the job store. */
function jobStates() {
  return {
    activeIds: async () => new Set((await stores.jobs.active()).map((j) => j.id)),
    stateOf: async (id: string) => {
      const j = await stores.jobs.get(id);
      return !j ? ('unknown' as const) : T.isTerminal(j.status) ? ('finished' as const) : ('active' as const);
    },
  };
}

function sweep(policy: Partial<LogRetentionPolicy> = {}, now?: Date) {
  return sweepJobLogs({
    home: home.dir,
    policy: { keepDays: 30, maxTotalBytes: Number.MAX_SAFE_INTEGER, ...policy },
    ...jobStates(),
    ...(now ? { now } : {}),
  });
}

describe('job log retention', () => {
  it('removes the logs of jobs that ended past the retention days and leaves a record readers report', async () => {
    const old = await job(true);
    const oldDir = log(old.id, 500, 40);
    const recent = await job(true);
    const recentDir = log(recent.id, 20, 2);
    // Silent for 40 days but still running: never touched.
    const runningJob = await job(false);
    const runningDir = log(runningJob.id, 10, 40);
    // A directory without a record: old, a leftover; fresh, a job whose record is being written (secrets go first).
    const leftover = log(T.newJobId(), 5, 40);
    const creating = jobDir(home.dir, T.newJobId());
    fs.mkdirSync(creating);
    fs.writeFileSync(path.join(creating, 'env.json'), '{"A":"b"}');
    // Not a job id: not ours.
    const stranger = path.join(home.dir, 'jobs', 'notes');
    fs.mkdirSync(stranger);
    fs.writeFileSync(path.join(stranger, 'x'), 'keep');
    fs.utimesSync(path.join(stranger, 'x'), new Date(0), new Date(0));
    const before = readLog(oldDir, { limit: 0 });

    const r = await sweep();
    expect(r.removed).toBe(2);
    expect(r.bytes).toBeGreaterThan(before.log_bytes);

    expect(fs.readdirSync(oldDir)).toEqual([REMOVAL_FILE]);
    const read = readLog(oldDir, { limit: 50 });
    expect(read).toMatchObject({ lines: [], total_lines: 500, next_cursor: 500, has_more: false, log_bytes: 0 });
    expect(read.removed).toMatchObject({ total_lines: 500, log_bytes: before.log_bytes });
    expect(read.removed!.reason).toContain('more than 30 days ago (DECKHAND_JOB_LOGS_RETAIN_DAYS)');
    expect(Date.parse(read.removed!.removed_at)).toBeGreaterThan(Date.now() - 60_000);
    // A reader paging with a cursor learns there is nothing more to read.
    expect(readLog(oldDir, { cursor: 120, limit: 50 })).toMatchObject({ lines: [], has_more: false });
    expect(fs.readdirSync(leftover)).toEqual([REMOVAL_FILE]);

    expect(readLog(recentDir, { limit: 50 }).lines).toHaveLength(20);
    expect(readLog(runningDir, { limit: 50 }).lines).toHaveLength(10);
    expect(fs.readdirSync(creating)).toEqual(['env.json']);
    expect(fs.readFileSync(path.join(stranger, 'x'), 'utf8')).toBe('keep');
    // The records stay.
    expect((await stores.jobs.get(old.id))?.status).toBe('completed');

    // Nothing left to do: a second sweep removes nothing and keeps the first removal's record.
    const first = readRemoval(oldDir);
    expect(await sweep()).toEqual({ removed: 0, bytes: 0 });
    expect(readRemoval(oldDir)).toEqual(first);
  });

  it('past the byte budget, removes the logs of the longest-finished jobs first and never a running one', async () => {
    const a = await job(true);
    const aDir = log(a.id, 300, 5);
    const b = await job(true);
    const bDir = log(b.id, 300, 4);
    const c = await job(true);
    const cDir = log(c.id, 300, 3);
    const run = await job(false);
    const runDir = log(run.id, 300, 10);
    const size = (d: string) => readLog(d, { limit: 0 }).log_bytes;
    const all = [aDir, bDir, cDir, runDir].map(size);
    // Room for the running job and one more.
    const budget = all[3]! + all[2]! + 100;

    const r = await sweep({ maxTotalBytes: budget });
    expect(r.removed).toBe(2);
    expect(readLog(aDir, { limit: 1 }).removed?.reason).toContain('DECKHAND_JOB_LOGS_MAX_TOTAL_BYTES');
    expect(readLog(bDir, { limit: 1 }).removed).toBeDefined();
    expect(readLog(cDir, { limit: 1 }).lines).toHaveLength(1);
    expect(readLog(runDir, { limit: 1 }).lines).toHaveLength(1);
  });

  it('finishes a removal a crash interrupted, keeping when it began', async () => {
    const j = await job(true);
    const dir = log(j.id, 50, 40);
    const removal = { removed_at: '2026-01-02T03:04:05.000Z', reason: 'r', total_lines: 50, log_bytes: 1234 };
    await writeRemoval(dir, removal);
    // Only the record was written: the segments are still there.
    age(dir, 40);
    expect(listSegments(dir).length).toBeGreaterThan(0);

    expect((await sweep()).removed).toBe(1);
    expect(fs.readdirSync(dir)).toEqual([REMOVAL_FILE]);
    expect(readRemoval(dir)).toMatchObject({ removed_at: removal.removed_at, total_lines: 50, log_bytes: 1234 });
  });

  it('measures age from the last line written, not from when the job was created', async () => {
    const j = await job(true);
    const dir = log(j.id, 10, 29);
    expect((await sweep()).removed).toBe(0);
    expect((await sweep({}, new Date(Date.now() + 2 * DAY))).removed).toBe(1);
    expect(readLog(dir, { limit: 5 }).removed).toBeDefined();
  });
});
