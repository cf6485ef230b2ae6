// npm run bench:templates: templates and their schedules on the embedded store (SQLite), measured through the real
// code (ScheduleLoop, TemplateService, RemoteBashService, SqlTemplateStore), on a simulated clock:
//   loop   1,000 templates with schedules (every 1m, cron, mixed time zones, jitter 0), 1 s ticks for some simulated
//          minutes: the tick's CPU per simulated minute, and the delay from a slot's nominal time to its run's
//          creation (the tick's lateness on the simulated clock plus the real time the tick took until that run
//          existed; runs are made up to 5 s before their slot and wait for it, so one made in time counts 0).
//          The job engine is not started, so no run executes.
//   list   TemplateService.list (20 a page, with statistics) over 100,000 runs in the jobs table: p50/p99.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { ulid } from 'ulid';
import type { Stores } from '../src/jobs/store/contract.js';
import { openSqliteStores } from '../src/jobs/store/sqlite/index.js';
import { scheduleRunKey } from '../src/templates/schedule/identity.js';
import { fakeServer, templateInstance } from '../tests/templates/instance.js';
import { fmtMs, percentile, printTable, type Row } from './stats.js';

const TEMPLATES = Number(process.env.BENCH_TEMPLATES ?? 1000);
const SIM_MINUTES = Number(process.env.BENCH_TEMPLATE_MINUTES ?? 5);
const RUNS = Number(process.env.BENCH_TEMPLATE_RUNS ?? 100_000);
const LIST_CALLS = Number(process.env.BENCH_LIST_CALLS ?? 300);
const MIN = 60_000;
// A Saturday night in March: the 5 minutes after 23:58 UTC cross midnight in UTC and the hour in every zone.
const T0 = Date.parse('2027-03-06T23:58:00Z');
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney', 'Asia/Kolkata'];
const CRONS = ['* * * * *', '*/2 * * * *', '*/5 * * * *', '0 * * * *', '30 2 * * *', '0 0 * * *', '59 23 * * *'];
const instance = { id: 'bench', host: os.hostname(), pid: process.pid };

/** One SQLite write transaction's commit here (WAL, synchronous=FULL as the store opens it): the floor of a run's creation. */
function commitMs(dir: string): number {
  const db = new BetterSqlite3(path.join(dir, 'commit-probe.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('create table t (a integer primary key, b text)');
    const ins = db.prepare('insert into t (b) values (?)');
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      db.exec('begin immediate');
      ins.run('x'.repeat(500));
      db.exec('commit');
      times.push(performance.now() - t);
    }
    return percentile(times, 50);
  } finally {
    db.close();
  }
}

function cpuMs(before: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(before);
  return (u.user + u.system) / 1000;
}

async function home(): Promise<{ dir: string; key: string; stores: Stores }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-bench-templates-'));
  const key = path.join(dir, 'client_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const stores = await openSqliteStores({ home: dir, instance });
  await stores.inventory.add(fakeServer('box', key));
  return { dir, key, stores };
}

/** Schedule i of the fleet: half every 1m, half cron over the zones; Allow, so every slot makes a run. */
function scheduleOf(i: number): Record<string, unknown> {
  const base = { concurrency_policy: 'Allow', jitter_s: 0 };
  if (i % 2 === 0) return { ...base, every: '1m' };
  return { ...base, cron: CRONS[i % CRONS.length], tz: ZONES[i % ZONES.length] };
}

async function benchLoop(rows: Row[]): Promise<void> {
  const h = await home();
  const clock = { t: T0 - 30_000 };
  // When each slot's run came to exist: the tick's lateness on the simulated clock plus its real elapsed time.
  let tickStartReal = 0;
  const delays: number[] = [];
  const inst = templateInstance(h.stores, {
    home: h.dir,
    now: () => clock.t,
    onSlot: (key, phase) => {
      if (phase === 'started')
        delays.push(clock.t - Date.parse(key.slice(key.lastIndexOf('@') + 1)) + (performance.now() - tickStartReal));
    },
  });
  try {
    const ids: string[] = [];
    const t0 = performance.now();
    for (let i = 0; i < TEMPLATES; i++) {
      const saved = await inst.service.save({
        name: `tpl-${String(i).padStart(4, '0')}`,
        command: `echo ${i}`,
        target: { servers: ['box'] },
        schedule: scheduleOf(i),
      });
      ids.push(saved.template.id);
    }
    console.log(`${TEMPLATES} templates saved in ${fmtMs(performance.now() - t0)}`);
    const loop = inst.loop;
    const tickCpu: number[] = [];
    const tickWall: number[] = [];
    const tickRuns: number[] = [];
    const ticks = SIM_MINUTES * 60;
    // Ticking from 10 s before the first slots, as a deckhand already running would be.
    const from = T0 - 10_000;
    clock.t = from;
    for (let k = 0; k < ticks; k++) {
      clock.t = from + k * 1000;
      const cpu = process.cpuUsage();
      tickStartReal = performance.now();
      const before = inst.counts.started;
      await loop.tick();
      tickWall.push(performance.now() - tickStartReal);
      tickRuns.push(inst.counts.started - before);
      tickCpu.push(cpuMs(cpu));
    }
    const runs = inst.counts.started;
    const cpuTotal = tickCpu.reduce((a, b) => a + b, 0);
    const busy = tickWall.filter((w) => w > 5);
    console.log(
      `loop: ${ticks} ticks over ${SIM_MINUTES} simulated minutes, ${runs} runs created (${(runs / SIM_MINUTES).toFixed(0)} a minute); ` +
        `CPU ${fmtMs(cpuTotal / SIM_MINUTES)} per simulated minute; busiest tick ${fmtMs(Math.max(...tickWall))} wall ` +
        `(${busy.length} ticks over 5 ms); idle tick p50 ${fmtMs(percentile(tickWall, 50))}`,
    );
    const commit = commitMs(h.dir);
    const burst = Math.max(...tickRuns);
    const busiest = tickWall[tickRuns.indexOf(burst)] as number;
    console.log(
      `busiest tick: ${burst} runs in ${fmtMs(busiest)} (${(busiest / burst).toFixed(1)} ms a run); ` +
        `one SQLite commit here (synchronous=FULL) ${commit.toFixed(2)} ms`,
    );
    if (inst.errors.length > 0) throw new Error(`loop errors: ${inst.errors.map(String).join('; ')}`);
    // Every slot that came due got its run (Allow, no deadline): none missed, none twice.
    const missed = (await Promise.all(ids.map((id) => h.stores.templates.scheduleEvents(id, 1)))).flat();
    if (missed.length > 0) throw new Error(`slots missed: ${JSON.stringify(missed[0])}`);
    const firstKey = scheduleRunKey(ids[0]!, new Date(T0 + MIN));
    if (!(await h.stores.templates.slotTaken(firstKey))) throw new Error('the every-1m template did not fire');
    rows.push({
      figure: `schedule loop, ${TEMPLATES} templates: tick CPU per simulated minute`,
      deckhand: fmtMs(cpuTotal / SIM_MINUTES),
      reference: `${(runs / SIM_MINUTES).toFixed(0)} runs a minute`,
      ratio: `${((cpuTotal / SIM_MINUTES / MIN) * 100).toFixed(1)}% of a core`,
      target: '',
    });
    // Runs are made up to 5 s ahead of their slot (waiting for it): a run made before its slot is 0 late.
    const late = delays.map((d) => Math.max(0, d));
    const early = delays.filter((d) => d <= 0).length;
    rows.push({
      figure: `schedule loop: slot to run waiting for it, p99 (p50), jitter 0`,
      deckhand: `${fmtMs(percentile(late, 99))} (${fmtMs(percentile(late, 50))})`,
      reference: `${burst} runs due at once, ${(busiest / burst).toFixed(1)} ms each`,
      ratio: `${((early / delays.length) * 100).toFixed(1)}% made before their slot`,
      target: '< 1 s',
    });
    rows.push({
      figure: `schedule loop: a run's creation, in SQLite commits`,
      deckhand: `${(busiest / burst).toFixed(2)} ms`,
      reference: `one commit ${commit.toFixed(2)} ms`,
      ratio: `${(busiest / burst / commit).toFixed(1)} commits' time`,
      target: '',
    });
  } finally {
    await inst.close();
    await h.stores.close();
    fs.rmSync(h.dir, { recursive: true, force: true });
  }
}

const STATUSES = ['completed', 'completed', 'completed', 'completed', 'completed', 'failed', 'cancelled', 'lost'];

/** 100,000 runs straight into the jobs table (setup, not measured): all of them the first page's 20 templates'. */
export function seedRuns(file: string, templateIds: readonly string[], n: number): void {
  const db = new BetterSqlite3(file);
  const ins = db.prepare(
    `insert into jobs (id, type, server, params, status, progress, created_at, started_at, finished_at, attempt,
       exit_code, error, result, timeout_s, cancel_requested_at, runtime, owner_instance, owner_host, owner_pid,
       parent_id, parallel_limit, wave, priority, not_before, unique_key, rev, updated_at,
       template_id, template_version, template_trigger, keep_log)
     values (?, 'remote-bash', 'box', ?, ?, '{}', ?, ?, ?, 1, ?, ?, null, 3600, null, '{}', 'bench', 'h', 1,
       null, null, null, 1, null, ?, ?, ?, ?, ?, 'schedule', 0)`,
  );
  const start = T0 - n * 1000;
  for (let base = 0; base < n; base += 50_000) {
    db.transaction(() => {
      for (let i = base; i < Math.min(n, base + 50_000); i++) {
        const t = start + i * 1000;
        const status = STATUSES[(i * 7) % STATUSES.length]!;
        const failed = status === 'failed';
        const tpl = templateIds[i % templateIds.length]!;
        ins.run(
          `job_${ulid(t)}`,
          JSON.stringify({ command: `echo ${i}` }),
          status,
          t,
          status === 'cancelled' ? null : t + 10,
          t + 10 + ((i * 7919) % 5000),
          failed ? 1 : status === 'completed' ? 0 : null,
          failed ? JSON.stringify({ code: 'exit_code', message: 'The command exited with code 1.' }) : null,
          `${tpl}@${new Date(t).toISOString()}`,
          i,
          t,
          tpl,
          1 + (i % 3),
        );
      }
    })();
  }
  db.exec('analyze');
  db.close();
}

async function benchList(rows: Row[]): Promise<void> {
  const h = await home();
  const inst = templateInstance(h.stores, { home: h.dir, now: () => T0 });
  try {
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const saved = await inst.service.save({
        name: `tpl-${String(i).padStart(3, '0')}`,
        command: `echo ${i}`,
        target: { servers: ['box'] },
        schedule: scheduleOf(i),
      });
      ids.push(saved.template.id);
    }
    const t0 = performance.now();
    seedRuns(path.join(h.dir, 'deckhand.db'), ids.slice(0, 20), RUNS);
    console.log(`seeded ${RUNS} runs of 20 templates in ${fmtMs(performance.now() - t0)}`);
    for (let i = 0; i < 5; i++) await inst.service.list({ limit: 20 });
    const times: number[] = [];
    for (let i = 0; i < LIST_CALLS; i++) {
      const t = performance.now();
      const page = await inst.service.list({ limit: 20 });
      times.push(performance.now() - t);
      if (page.templates.length !== 20 || page.templates[0]!.stats.runs !== RUNS / 20)
        throw new Error(`unexpected page: ${page.templates.length} templates, ${page.templates[0]?.stats.runs} runs`);
    }
    // The floor of statistics that count every run: counting the 100,000 runs' index entries, nothing else.
    const db = new BetterSqlite3(path.join(h.dir, 'deckhand.db'), { readonly: true });
    const first20 = ids.slice(0, 20);
    const count = db.prepare(`select count(*) from jobs where template_id in (${first20.map(() => '?').join(',')})`);
    const floor: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      count.get(...first20);
      floor.push(performance.now() - t);
    }
    db.close();
    // One template's detail (all its runs and the current version's) for comparison.
    const detail: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await inst.service.detail('tpl-000');
      detail.push(performance.now() - t);
    }
    console.log(
      `list (20 templates with statistics over ${RUNS} runs): p50 ${fmtMs(percentile(times, 50))}, ` +
        `p99 ${fmtMs(percentile(times, 99))}; detail of one (${RUNS / 20} runs) p50 ${fmtMs(percentile(detail, 50))}; ` +
        `count(*) of all runs alone p50 ${fmtMs(percentile(floor, 50))}`,
    );
    rows.push({
      figure: `TemplateService.list, 20 with statistics over ${RUNS / 1000}k runs, p99 (p50)`,
      deckhand: `${fmtMs(percentile(times, 99))} (${fmtMs(percentile(times, 50))})`,
      reference: `count(*) of the ${RUNS / 1000}k runs alone, p50 ${fmtMs(percentile(floor, 50))}`,
      ratio: `${(percentile(times, 50) / percentile(floor, 50)).toFixed(1)}x`,
      target: '< 50 ms',
    });
  } finally {
    await inst.close();
    await h.stores.close();
    fs.rmSync(h.dir, { recursive: true, force: true });
  }
}

export async function benchTemplates(rows: Row[]): Promise<void> {
  const only = process.env.BENCH_TEMPLATES_ONLY; // "loop" or "list"
  if (only !== 'list') await benchLoop(rows);
  if (only !== 'loop') await benchList(rows);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows: Row[] = [];
  benchTemplates(rows)
    .then(() => printTable(rows))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
