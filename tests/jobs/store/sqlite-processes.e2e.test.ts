import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Stores } from '../../../src/jobs/store/contract.js';
import { openSqliteStores } from '../../../src/jobs/store/sqlite/index.js';
import * as T from '../../../src/jobs/types.js';
import { tempHome } from '../../helpers/home.js';
import { claimReq, spec, T0 } from './contract/world.js';

/**
 * SQLite only: real OS processes on one deckhand.db (what several MCP clients on one home are), running the built
 * code (npm run build first; `npm test` does). No lock file of ours is involved.
 */
const WORKER = path.join(import.meta.dirname, 'fixtures', 'sqlite-worker.mjs');
const run = promisify(execFile);
const require = createRequire(import.meta.url);

interface WorkerOut {
  started: string[];
  maxPerServer: number;
  taken: string[];
}

async function worker(home: string, id: string, mode: string, arg = ''): Promise<WorkerOut> {
  if (!fs.existsSync(path.join(import.meta.dirname, '../../../dist/jobs/store/sqlite/index.js')))
    throw new Error('dist/ is missing: run `npm run build` before this test (npm test does it).');
  const { stdout } = await run(process.execPath, [WORKER, home, id, mode, arg], { timeout: 60_000 });
  return JSON.parse(stdout) as WorkerOut;
}

let home: { dir: string; cleanup(): void };
let s: Stores;
beforeEach(async () => {
  home = tempHome();
  s = await openSqliteStores({ home: home.dir, instance: { id: 'test', host: 'h', pid: process.pid } });
});
afterEach(async () => {
  await s.close();
  home.cleanup();
});

describe('sqlite only: several processes on one file', () => {
  it('three processes claiming 60 jobs on 3 servers: each job runs once, the per-server limit always holds', async () => {
    const specs = Array.from({ length: 60 }, (_, i) => spec({ server: `srv${i % 3}` }, Date.now()));
    await s.jobs.create(specs, Date.now());
    const outs = await Promise.all(['p1', 'p2', 'p3'].map((id) => worker(home.dir, id, 'claim')));
    const started = outs.flatMap((o) => o.started);
    expect(started.sort()).toEqual(specs.map((x) => x.id).sort());
    for (const o of outs) expect(o.maxPerServer).toBeLessThanOrEqual(2);
    for (const x of specs) expect(await s.jobs.get(x.id)).toMatchObject({ status: 'completed', attempt: 1 });
    // No files of ours beside the database (its -wal and -shm are SQLite's).
    expect(fs.readdirSync(home.dir).filter((n) => /lock/i.test(n))).toEqual([]);
  });

  it('three processes updating one job 100 times each lose no update', async () => {
    const [job] = await s.jobs.create([spec({ runtime: { n: 0 } })], T0);
    await Promise.all(['p1', 'p2', 'p3'].map((id) => worker(home.dir, id, 'bump', job!.id)));
    expect((await s.jobs.get(job!.id))!.runtime.n).toBe(300);
  });

  it('two processes taking over a vanished owner’s jobs at once: each job goes to exactly one', async () => {
    const gone = { id: 'gone', host: 'h', pid: 1 };
    await s.instances.register({ ...gone, version: 'v', started_at: T0, max_jobs: 30 }, Date.now() - 60_000);
    await s.jobs.create(
      Array.from({ length: 30 }, () => spec()),
      T0,
    );
    expect(await s.jobs.claim(claimReq(gone, { max: 30, maxForInstance: 30 }))).toHaveLength(30);
    const staleBefore = Date.now();
    const [a, b] = await Promise.all([
      worker(home.dir, 'p1', 'takeover', String(staleBefore)),
      worker(home.dir, 'p2', 'takeover', String(staleBefore)),
    ]);
    const all = [...a.taken, ...b.taken].sort();
    expect(all).toHaveLength(30);
    expect(new Set(all).size).toBe(30);
    for (const j of await s.jobs.active()) expect(['p1', 'p2']).toContain(j.owner?.instance);
    expect((await s.instances.list()).map((i) => i.id).sort()).toEqual(['p1', 'p2']);
  });

  it('a process that holds the write lock too long makes writes answer store_unavailable, bounded, and no worse', async () => {
    await s.close();
    s = await openSqliteStores({
      home: home.dir,
      instance: { id: 'test', host: 'h', pid: process.pid },
      busyTimeoutMs: 300,
    });
    const [job] = await s.jobs.create([spec()], T0);
    // Another process takes the write lock and keeps it for 3 s.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const D = require(${JSON.stringify(require.resolve('better-sqlite3'))});
         const db = new D(process.argv[1]); db.exec('begin immediate'); process.stdout.write('held');
         setTimeout(() => { db.exec('commit'); db.close(); }, 3000);`,
        path.join(home.dir, 'deckhand.db'),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
      const t = Date.now();
      const err = await s.jobs.update(job!.id, (j) => T.setRuntime(j, { n: 1 })).catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('store_unavailable');
      expect(Date.now() - t).toBeLessThan(2000);
      // Reads go on meanwhile (WAL: readers never wait for the writer).
      expect((await s.jobs.get(job!.id))!.runtime).toEqual({});
    } finally {
      if (holder.exitCode === null) await new Promise((r) => holder.once('exit', r));
    }
    expect((await s.jobs.update(job!.id, (j) => T.setRuntime(j, { n: 2 })))!.runtime).toEqual({ n: 2 });
  });

  it('a change committed by one process is there for the next; the database file is private (0600)', async () => {
    const [job] = await s.jobs.create([spec()], T0);
    await s.jobs.update(job!.id, (j) => T.setRuntime(j, { n: 41 }));
    await worker(home.dir, 'p1', 'bump', job!.id);
    expect((await s.jobs.get(job!.id))!.runtime.n).toBe(141);
    const mode = (fs.statSync(path.join(home.dir, 'deckhand.db')).mode & 0o777).toString(8);
    expect(mode).toBe('600');
  });
});
