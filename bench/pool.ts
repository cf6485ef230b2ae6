// PostgreSQL mode through the deckhand binary over MCP, each figure next to a reference measured in the same run:
// - throughput: BENCH_POOL_JOBS short jobs (`echo x`, mode background; default 300, a few minutes on 2 busy cores,
//   BENCH_POOL_JOBS=1000 for the figure) over 20 servers, submitted through three instances sharing one
//   PostgreSQL, from the first submit to the last job's end (finished_at in the store), against the same jobs on the
//   same servers through one instance in SQLite mode;
// - cross-instance live lines: a job run by instance B prints lines stamped with the server's clock (date +%s%N); a
//   client on another instance A long-polls get-job-status (cursor + wait_s); latency is the line's arrival at the
//   client minus its stamp, against a client on B itself (the same long-poll, no instance crossed). A second job
//   prints 20 lines 0.6 s apart (further apart than the 500 ms throttle of resource updates, so each update is one
//   line's) to a client on an instance that does not run it, subscribed to the job's log: stamp to the update's arrival.
// 20 servers are 20 real OpenSSH sshds on loopback (one per server name). Both modes run with the same
// DECKHAND_MAX_JOBS / DECKHAND_MAX_JOBS_PER_SERVER (BENCH_POOL_MAX_JOBS, BENCH_POOL_PER_SERVER; default 16 and 2) and
// the same number of clients submitting at once (BENCH_POOL_CLIENTS, default 6; call i goes to instance i % 3).
// Run alone: npm run bench:pool.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { tempHome } from '../tests/helpers/home.js';
import type { StatusView } from '../tests/helpers/jobs.js';
import { startStdio, structured, textOf, type StdioSession } from '../tests/helpers/mcp.js';
import { SECRET_KEY } from '../tests/helpers/pool-fixture.js';
import { startPostgres, type PgCluster } from '../tests/helpers/postgres.js';
import { startSshd, type SshdHandle } from '../tests/helpers/sshd.js';
import { waitFor } from '../tests/helpers/wait.js';
import { fmtMs, percentile, printTable, type Row } from './stats.js';

const JOBS = Number(process.env.BENCH_POOL_JOBS ?? 300);
const SERVERS = Number(process.env.BENCH_POOL_SERVERS ?? 20);
const INSTANCES = 3;
const MAX_JOBS = Number(process.env.BENCH_POOL_MAX_JOBS ?? 16);
const PER_SERVER = Number(process.env.BENCH_POOL_PER_SERVER ?? 2);
const CLIENTS = Number(process.env.BENCH_POOL_CLIENTS ?? 6);
const LINES = Number(process.env.BENCH_POOL_LINES ?? 200);
const TERMINAL = ['completed', 'failed', 'cancelled', 'lost'];

interface Server {
  readonly name: string;
  readonly sshd: SshdHandle;
}

/** Where the bench reads the jobs' records: the store itself, not a tool (polling through MCP would load the instances). */
interface Records {
  /** How many of `ids` are terminal, and the latest finished_at (ms) among them. */
  progress(ids: string[]): Promise<{ done: number; lastEnd: number }>;
  /** Ended jobs of `ids` by status and by owner. */
  outcome(ids: string[]): Promise<{ status: Record<string, number>; owners: Record<string, number> }>;
  close(): Promise<void>;
}

function sqliteRecords(home: string): Records {
  const db = new BetterSqlite3(path.join(home, 'deckhand.db'), { readonly: true, fileMustExist: true });
  const inList = (ids: string[]) => `(${ids.map(() => '?').join(',')})`;
  return {
    async progress(ids) {
      const r = db
        .prepare(
          `select count(*) as n, max(finished_at) as last from jobs where id in ${inList(ids)} and status in ('completed','failed','cancelled','lost')`,
        )
        .get(...ids) as { n: number; last: number | null };
      return { done: r.n, lastEnd: Number(r.last ?? 0) };
    },
    async outcome(ids) {
      const rows = db
        .prepare(`select status, owner_instance as o, count(*) as n from jobs where id in ${inList(ids)} group by 1, 2`)
        .all(...ids) as { status: string; o: string | null; n: number }[];
      return tally(rows);
    },
    async close() {
      db.close();
    },
  };
}

async function pgRecords(url: string): Promise<Records> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return {
    async progress(ids) {
      const r = await c.query<{ n: string; last: string | null }>(
        `select count(*) as n, max(finished_at) as last from jobs where id = any($1) and status = any($2)`,
        [ids, TERMINAL],
      );
      return { done: Number(r.rows[0]!.n), lastEnd: Number(r.rows[0]!.last ?? 0) };
    },
    async outcome(ids) {
      const r = await c.query<{ status: string; o: string | null; n: string }>(
        'select status, owner_instance as o, count(*) as n from jobs where id = any($1) group by 1, 2',
        [ids],
      );
      return tally(r.rows.map((x) => ({ ...x, n: Number(x.n) })));
    },
    close: () => c.end(),
  };
}

function tally(rows: { status: string; o: string | null; n: number }[]): {
  status: Record<string, number>;
  owners: Record<string, number>;
} {
  const status: Record<string, number> = {};
  const owners: Record<string, number> = {};
  for (const r of rows) {
    status[r.status] = (status[r.status] ?? 0) + r.n;
    owners[r.o ?? 'none'] = (owners[r.o ?? 'none'] ?? 0) + r.n;
  }
  return { status, owners };
}

async function addServers(via: StdioSession, servers: Server[]): Promise<void> {
  for (const s of servers) {
    const r = await via.call('add-server', {
      name: s.name,
      host: s.sshd.host,
      port: s.sshd.port,
      user: s.sshd.user,
      private_key_path: s.sshd.clientKey,
      policy: { mode: 'open' },
    });
    if (r.isError) throw new Error(`add-server ${s.name}: ${textOf(r)}`);
  }
}

interface RunResult {
  jobsPerS: number;
  wallS: number;
  submitS: number;
  callP50: number;
  owners: number[];
}

/**
 * `n` jobs, job i through instance i % instances on server i % servers, CLIENTS calls at once; timed from the first submit to the last finished_at; fails unless every job completed.
 */
async function runJobs(
  instances: StdioSession[],
  servers: Server[],
  records: Records,
  n: number,
  command: string,
): Promise<RunResult> {
  const ids: string[] = [];
  const calls: number[] = [];
  // One queue of calls that CLIENTS callers take from; call i goes to instance i % instances.
  const todo = Array.from({ length: n }, (_, i) => i);
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = todo.shift(); i !== undefined; i = todo.shift()) {
        const t = performance.now();
        const r = await instances[i % instances.length]!.call('remote-bash', {
          server: servers[i % servers.length]!.name,
          command,
          mode: 'background',
        });
        calls.push(performance.now() - t);
        ids.push(structured<{ job_id: string }>(r).job_id);
      }
    }),
  );
  const submitS = (Date.now() - t0) / 1000;
  const last = await waitFor(
    async () => {
      const p = await records.progress(ids);
      return p.done === n ? p.lastEnd : undefined;
    },
    `${n} jobs to end`,
    600_000,
    100,
  );
  const out = await records.outcome(ids);
  if ((out.status.completed ?? 0) !== n) throw new Error(`not every job completed: ${JSON.stringify(out.status)}`);
  const wallS = (last - t0) / 1000;
  return {
    jobsPerS: n / wallS,
    wallS,
    submitS,
    callP50: percentile(calls, 50),
    owners: Object.values(out.owners).sort((a, b) => b - a),
  };
}

/** A warm-up round (three jobs per server), so connections and resident agents are open before the timed run. */
async function warmUp(instances: StdioSession[], servers: Server[], records: Records): Promise<void> {
  await runJobs(instances, servers, records, servers.length * 3, 'true');
}

function modeEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DECKHAND_HOME: home,
    DECKHAND_LOG_LEVEL: 'error',
    DECKHAND_MAX_JOBS: String(MAX_JOBS),
    DECKHAND_MAX_JOBS_PER_SERVER: String(PER_SERVER),
    ...extra,
  };
}

async function sqliteMode(servers: Server[]): Promise<RunResult> {
  const home = tempHome();
  let mcp: StdioSession | undefined;
  let records: Records | undefined;
  try {
    mcp = await startStdio(modeEnv(home.dir));
    await addServers(mcp, servers);
    records = sqliteRecords(home.dir);
    await warmUp([mcp], servers, records);
    return await runJobs([mcp], servers, records, JOBS, 'echo x');
  } finally {
    await records?.close();
    await mcp?.close().catch(() => undefined);
    home.cleanup();
  }
}

interface Latency {
  /** Emission on the server to arrival at a client of another instance (long-poll), ms. */
  cross: number[];
  /** The same on a client of the instance that runs the job. */
  same: number[];
  /** Emission to the runner's record of the line (its `ts`), ms: the part no instance crossing can shorten. */
  atRunner: number[];
  /** Emission to notifications/resources/updated on a client of another instance (sparse lines), ms. */
  notified: number[];
}

/** Lines `L <i> <ns since epoch>`, one per `gap` seconds, after a pause that lets the watchers start. */
const stampedLines = (n: number, gap: number) =>
  `sleep 1.5; for i in $(seq 1 ${n}); do echo "L $i $(date +%s%N)"; sleep ${gap}; done`;

function stampOf(text: string): number | undefined {
  const m = /^L \d+ (\d+)$/.exec(text);
  return m ? Number(BigInt(m[1]!) / 1000n) / 1000 : undefined;
}

/** Long-polls a job's log through `via` until it ends; answers each line's latency and its runner-side ts. */
async function follow(via: StdioSession, id: string): Promise<{ latency: number[]; atRunner: number[] }> {
  const latency: number[] = [];
  const atRunner: number[] = [];
  for (let cursor = 0; ;) {
    const s = structured<StatusView>(
      await via.call('get-job-status', { job_id: id, cursor, wait_s: 10, tail_logs: 1000 }),
    );
    const now = Date.now();
    for (const l of s.logs) {
      const stamp = l.stream === 'stdout' ? stampOf(l.text) : undefined;
      if (stamp === undefined) continue;
      latency.push(now - stamp);
      atRunner.push(l.ts - stamp);
    }
    cursor = s.next_cursor;
    if (TERMINAL.includes(s.job.status) && !s.has_more) return { latency, atRunner };
  }
}

async function liveLatency(instances: StdioSession[], sql: pg.Client, server: string): Promise<Latency> {
  const pidOf = new Map(instances.map((m) => [m.pid(), m]));
  const runnerOf = (id: string) =>
    waitFor(async () => {
      const r = await sql.query<{ pid: number }>(
        'select i.pid from jobs j join instances i on i.id = j.owner_instance where j.id = $1',
        [id],
      );
      return r.rows[0] ? pidOf.get(Number(r.rows[0].pid)) : undefined;
    }, `job ${id} to start`);
  // Dense lines for the long-polls; sparse ones (further apart than the 500 ms throttle of resource updates, so each
  // update is one line's) for the subscription.
  const dense = structured<{ job_id: string }>(
    await instances[0]!.call('remote-bash', { server, command: stampedLines(LINES, 0.025), mode: 'background' }),
  ).job_id;
  const sparse = structured<{ job_id: string }>(
    await instances[1]!.call('remote-bash', { server, command: stampedLines(20, 0.6), mode: 'background' }),
  ).job_id;
  const b = await runnerOf(dense);
  const a = instances.find((m) => m !== b)!;
  const sparseRunner = await runnerOf(sparse);
  // The subscriber: an instance that does not run the sparse job (the one not long-polling when there is a choice).
  const c =
    instances.find((m) => m !== sparseRunner && m !== a && m !== b) ?? instances.find((m) => m !== sparseRunner)!;
  const updates: number[] = [];
  c.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (note) => {
    if (note.params.uri === `deckhand://jobs/${sparse}/log`) updates.push(Date.now());
  });
  await c.client.subscribeResource({ uri: `deckhand://jobs/${sparse}/log` });
  const [cross, same] = await Promise.all([follow(a, dense), follow(b, dense)]);
  // The sparse job's lines with their stamps, read once it ended; each update matched to the line before it.
  await follow(c, sparse);
  const all = structured<StatusView>(await c.call('get-job-status', { job_id: sparse, tail_logs: 1000 }));
  const stamps = all.logs
    .map((l) => (l.stream === 'stdout' ? stampOf(l.text) : undefined))
    .filter((x) => x !== undefined);
  const notified: number[] = [];
  for (const s of stamps) {
    const u = updates.find((t) => t >= s);
    if (u !== undefined) notified.push(u - s);
  }
  console.log(
    `live lines: dense job ran on instance ${instances.indexOf(b) + 1}, long-polled on ${instances.indexOf(a) + 1} ` +
      `(crossed) and ${instances.indexOf(b) + 1} (same); sparse job ran on ${instances.indexOf(sparseRunner) + 1}, ` +
      `subscribed on ${instances.indexOf(c) + 1}; ${updates.length} updates for ${stamps.length} sparse lines`,
  );
  return {
    cross: cross.latency,
    same: same.latency,
    atRunner: cross.atRunner,
    notified,
  };
}

async function postgresMode(servers: Server[]): Promise<{ run: RunResult; live: Latency }> {
  let db: PgCluster | undefined;
  const homes = Array.from({ length: INSTANCES }, () => tempHome());
  const instances: StdioSession[] = [];
  let records: Records | undefined;
  let sql: pg.Client | undefined;
  try {
    // fsync on, as a real server runs (and as SQLite's synchronous=FULL commits).
    db = await startPostgres({ durable: true });
    const url = await db.createDatabase();
    const env = (i: number) => modeEnv(homes[i]!.dir, { DECKHAND_DATABASE_URL: url, DECKHAND_SECRET_KEY: SECRET_KEY });
    // The first runs the migrations; the others find them done.
    instances.push(await startStdio(env(0)));
    instances.push(...(await Promise.all([1, 2].map((i) => startStdio(env(i))))));
    await addServers(instances[0]!, servers);
    records = await pgRecords(url);
    sql = new pg.Client({ connectionString: url });
    await sql.connect();
    await warmUp(instances, servers, records);
    const run = await runJobs(instances, servers, records, JOBS, 'echo x');
    const live = await liveLatency(instances, sql, servers[0]!.name);
    return { run, live };
  } finally {
    await sql?.end().catch(() => undefined);
    await records?.close().catch(() => undefined);
    await Promise.all(instances.map((m) => m.close().catch(() => undefined)));
    await db?.stop();
    for (const h of homes) h.cleanup();
  }
}

export async function benchPool(rows: Row[]): Promise<void> {
  // HOME of the SSH sessions: the remote job directories go there, not into this machine's /root.
  const aux = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-pool-bench-'));
  const sshds = await Promise.all(
    Array.from({ length: SERVERS }, () => startSshd({ extraConfig: `SetEnv HOME=${aux}\nMaxSessions 64` })),
  );
  const servers = sshds.map((sshd, i) => ({ name: `p${i + 1}`, sshd }));
  try {
    const lite = await sqliteMode(servers);
    const { run: pool, live } = await postgresMode(servers);
    const limits = `DECKHAND_MAX_JOBS=${MAX_JOBS}, _PER_SERVER=${PER_SERVER}, ${CLIENTS} clients`;
    // How long the last job ended after the last call answered: near 0, the calls set the pace, not the claims.
    const drain = (r: RunResult) => fmtMs(Math.max(0, (r.wallS - r.submitS) * 1000));
    const fmtRun = (r: RunResult) => `${r.jobsPerS.toFixed(1)} jobs/s (${r.wallS.toFixed(1)} s)`;
    rows.push({
      figure: `${JOBS} short jobs over ${SERVERS} sshds: PostgreSQL, ${INSTANCES} instances`,
      deckhand: fmtRun(pool),
      reference: `SQLite, 1 instance: ${fmtRun(lite)}`,
      ratio: `${(pool.jobsPerS / lite.jobsPerS).toFixed(2)}x`,
      target: limits,
    });
    rows.push({
      figure: '  remote-bash background call p50 (submit phase)',
      deckhand: `${fmtMs(pool.callP50)} (all sent in ${pool.submitS.toFixed(1)} s, last end +${drain(pool)})`,
      reference: `SQLite ${fmtMs(lite.callP50)} (${lite.submitS.toFixed(1)} s, +${drain(lite)})`,
      ratio: `${(pool.callP50 / lite.callP50).toFixed(2)}x`,
      target: `jobs per instance: ${pool.owners.join('/')}`,
    });
    const pp = (xs: number[]) => `${fmtMs(percentile(xs, 50))} / ${fmtMs(percentile(xs, 99))}`;
    rows.push({
      figure: `live line, runner B -> long-poll on A, p50 / p99 (${live.cross.length} lines)`,
      deckhand: pp(live.cross),
      reference: `long-poll on B itself ${pp(live.same)}`,
      ratio: `${(percentile(live.cross, 99) / percentile(live.same, 99)).toFixed(2)}x p99`,
      target: 'p99 < 500 ms',
    });
    rows.push({
      figure: '  of which emission -> line recorded on B (p50 / p99)',
      deckhand: pp(live.atRunner),
      reference: '',
      ratio: '',
      target: '',
    });
    rows.push({
      figure: `live line, runner B -> resource update on A, p50 / p99 (${live.notified.length} lines)`,
      deckhand: pp(live.notified),
      reference: `long-poll on B itself ${pp(live.same)}`,
      ratio: `${(percentile(live.notified, 99) / percentile(live.same, 99)).toFixed(2)}x p99`,
      target: 'p99 < 500 ms',
    });
  } finally {
    await Promise.all(sshds.map((s) => s.stop()));
    fs.rmSync(aux, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows: Row[] = [];
  benchPool(rows)
    .then(() => {
      printTable(rows);
      // This machine is shared: the figures move with the load of everything else on it.
      console.log(
        `load average at the end: ${os
          .loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')} (${os.cpus().length} cores)`,
      );
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
