// npm run bench:store: the job store at scale (SQLite with 1,000,000 finished jobs) and 1 GB of log lines written
// through the PostgreSQL log writer against the file log writer and against bare INSERTs, measured in the same run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { monotonicFactory } from 'ulid';
import { FileLogStore } from '../src/jobs/log/file-store.js';
import type { LogStore, Stores } from '../src/jobs/store/contract.js';
import { openPostgresStores } from '../src/jobs/store/postgres/index.js';
import { openSqliteStores } from '../src/jobs/store/sqlite/index.js';
import { startPostgres } from '../tests/helpers/postgres.js';
import { fill } from './seed.js';
import { fmtMs, percentile, printTable, type Row } from './stats.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const LOG_BYTES = Number(process.env.BENCH_LOG_BYTES ?? 1024 ** 3);
const instance = { id: 'bench', host: os.hostname(), pid: process.pid };
const rows: Row[] = [];
const ulid = monotonicFactory();

async function sample(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

/** Ids to look up: every 1000th job of a filled database. */
function sampleIds(file: string): string[] {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return (db.prepare('select id from jobs order by id').pluck().all() as string[]).filter((_, i) => i % 1000 === 0);
  } finally {
    db.close();
  }
}

async function sqliteScale(): Promise<void> {
  // BENCH_HOME keeps the filled database for the next run (filling a million rows takes minutes on a busy machine).
  const keep = process.env.BENCH_HOME;
  const home = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-bench-sqlite-'));
  try {
    const first = await openSqliteStores({ home, instance });
    const have = (await first.jobs.list({}, 1)).jobs.length > 0;
    await first.close();
    const file = path.join(home, 'deckhand.db');
    const t0 = performance.now();
    const ids = have ? sampleIds(file) : fill(file, RECORDS);
    const fillS = (performance.now() - t0) / 1000;
    const s = await openSqliteStores({ home, instance });
    try {
      const size = fs.statSync(file).size;
      console.log(
        `${have ? 'reused' : 'filled'} ${ids.length * 1000} jobs (${fillS.toFixed(1)} s): ${(size / 1e6).toFixed(0)} MB`,
      );
      const gets = await sample(2000, (i) => s.jobs.get(ids[(i * 7919) % ids.length]!));
      const lists = await sample(500, (i) =>
        s.jobs.list({ status: i % 2 ? 'failed' : 'completed', server: `srv-${(i * 31) % 200}`, top_level: true }, 50),
      );
      const deep = await s.jobs.list({ status: 'failed', server: 'srv-3' }, 50);
      const pages = await sample(200, () => s.jobs.list({ status: 'failed', server: 'srv-3' }, 50, deep.next_cursor!));
      const creates = await sample(1000, () =>
        s.jobs.create(
          [{ id: `job_${ulid()}`, type: 'remote-bash', server: 'srv-1', params: { command: 'true' }, timeout_s: 60 }],
          Date.now(),
        ),
      );
      const p99 = (xs: number[]) => fmtMs(percentile(xs, 99));
      const p50 = (xs: number[]) => fmtMs(percentile(xs, 50));
      rows.push(
        {
          figure: `get a job, ${RECORDS} records (p50 / p99)`,
          deckhand: `${p50(gets)} / ${p99(gets)}`,
          reference: '',
          ratio: '',
          target: 'p99 < 5 ms',
        },
        {
          figure: 'list, status + server filter (p50 / p99)',
          deckhand: `${p50(lists)} / ${p99(lists)}`,
          reference: '',
          ratio: '',
          target: 'p99 < 20 ms',
        },
        {
          figure: 'list, next page by cursor (p50 / p99)',
          deckhand: `${p50(pages)} / ${p99(pages)}`,
          reference: '',
          ratio: '',
          target: 'p99 < 20 ms',
        },
        {
          figure: 'create a job, synchronous=FULL (p50 / p99)',
          deckhand: `${p50(creates)} / ${p99(creates)}`,
          reference: '',
          ratio: '',
          target: 'p99 < 5 ms',
        },
      );
      await commitCost(s, home);
    } finally {
      await s.close();
    }
  } finally {
    if (!keep) fs.rmSync(home, { recursive: true, force: true });
  }
}

/** One committed update with synchronous=FULL against NORMAL on this machine's disk. */
async function commitCost(full: Stores, home: string): Promise<void> {
  const [job] = await full.jobs.create(
    [{ id: `job_${ulid()}`, type: 't', server: null, params: {}, timeout_s: 60 }],
    Date.now(),
  );
  const bump = (s: Stores) => s.jobs.update(job!.id, (j) => ({ ...j, runtime: { n: Number(j.runtime.n ?? 0) + 1 } }));
  const f = await sample(500, () => bump(full));
  await full.close();
  const normal = await openSqliteStores({ home, instance, synchronous: 'NORMAL' });
  const n = await sample(500, () => bump(normal));
  await normal.close();
  rows.push({
    figure: 'one committed update: FULL vs NORMAL (p50)',
    deckhand: fmtMs(percentile(f, 50)),
    reference: fmtMs(percentile(n, 50)),
    ratio: `${(percentile(f, 50) / percentile(n, 50)).toFixed(1)}×`,
    target: 'FULL (power-loss safe)',
  });
}

/**
 * Lines of ~100 bytes in 64 KB buffers, as the remote follower hands them over (yielding to the event loop as socket
 * reads do). The same policy for both writers: a flush per 1 MB when none is under way (lines gather meanwhile, so a
 * slower store gets larger writes), and reading stops past 8 MB not yet flushed, so memory stays bounded.
 */
async function pump(logs: LogStore, jobId: string, total: number): Promise<number> {
  // Lines like a build's output: a counter, a hash-like token, some words (about 3:1 for lz4, as real logs).
  const token = (i: number) => ((i * 2654435761) >>> 0).toString(16).padStart(8, '0');
  const line = (i: number) =>
    `[${String(i).padStart(7, '0')}] ${token(i)}${token(i + 7)} step ${i % 97} compiling module_${i % 1013}.ts ok\n`;
  const parts: string[] = [];
  let n = 0;
  while (parts.join('').length < 64 * 1024 - 200) parts.push(line(n++));
  const buf = Buffer.from(parts.join(''));
  const w = await logs.open(jobId, { maxBytes: 4 * total });
  let flushing: Promise<void> | undefined;
  let unflushed = 0;
  const t = performance.now();
  let off = 0;
  for (let done = 0, k = 0; done < total; done += buf.length, k++) {
    off += buf.length;
    w.addLines('stdout', buf, 0, buf.length, n, off);
    unflushed += buf.length;
    if (unflushed >= 1024 * 1024) {
      if (flushing && unflushed >= 8 * 1024 * 1024) await flushing;
      if (!flushing) {
        unflushed = 0;
        flushing = w.flush().finally(() => (flushing = undefined));
      }
    }
    if (k % 4 === 3) await new Promise((r) => setImmediate(r));
  }
  await flushing;
  await w.close();
  return (performance.now() - t) / 1000;
}

/**
 * What the database itself takes: the same 1 MB blocks of lines inserted one after another by a bare pg client into a
 * table with the same storage setting (lz4), with nothing of deckhand around it. The bound the log writer works under.
 */
async function rawInserts(url: string, total: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const block = Buffer.alloc(1024 * 1024);
    const text = Buffer.from(`[0000000] 9e3779b1 step 1 compiling module_1.ts ok\n`);
    for (let i = 0; i < block.length; i += text.length) text.copy(block, i);
    await client.query('create table raw_chunks (id integer primary key, data bytea not null)');
    await client.query(`do $$ begin alter table raw_chunks alter column data set compression lz4;
      exception when feature_not_supported or invalid_parameter_value then
      alter table raw_chunks alter column data set storage external; end $$`);
    const t = performance.now();
    for (let i = 0; i * block.length < total; i++) {
      // A counter in each block keeps them from being one repeated value.
      block.writeUInt32BE(i, 1);
      await client.query('insert into raw_chunks values ($1, $2)', [i, block]);
    }
    return (performance.now() - t) / 1000;
  } finally {
    await client.end();
  }
}

async function pgLogs(): Promise<void> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-bench-logs-'));
  const pg = await startPostgres({ durable: true });
  try {
    const url = await pg.createDatabase();
    const stores = await openPostgresStores({ url, secretKey: 'A'.repeat(43) + '=', instance });
    try {
      const fileS = await pump(
        new FileLogStore(home, { active: async () => [], get: async () => undefined }),
        `job_${ulid()}`,
        LOG_BYTES,
      );
      const pgS = await pump(stores.logs, `job_${ulid()}`, LOG_BYTES);
      const mb = LOG_BYTES / 1024 ** 2;
      rows.push({
        figure: `${(LOG_BYTES / 1024 ** 3).toFixed(2)} GB of lines: PostgreSQL log writer vs file writer`,
        deckhand: `${(mb / pgS).toFixed(0)} MB/s`,
        reference: `${(mb / fileS).toFixed(0)} MB/s`,
        ratio: `${(fileS / pgS).toFixed(2)}×`,
        target: '≥ 0.5×',
      });
      const rawS = await rawInserts(url, LOG_BYTES);
      rows.push({
        figure: `${(LOG_BYTES / 1024 ** 3).toFixed(2)} GB of lines: PostgreSQL log writer vs bare 1 MB INSERTs`,
        deckhand: `${(mb / pgS).toFixed(0)} MB/s`,
        reference: `${(mb / rawS).toFixed(0)} MB/s`,
        ratio: `${(rawS / pgS).toFixed(2)}×`,
        target: 'the database bound',
      });
    } finally {
      await stores.close();
    }
  } finally {
    await pg.stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const which = process.argv[2] ?? 'all';
  if (which === 'all' || which === 'sqlite') await sqliteScale();
  if (which === 'all' || which === 'pg-logs') await pgLogs();
  printTable(rows);
  // This machine is shared: p99 figures move with the load of everything else on it.
  console.log(
    `load average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (${os.cpus().length} cores)`,
  );
}

await main();
