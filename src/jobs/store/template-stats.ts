import { sql } from './kysely.js';
import type { JobStatus } from '../types.js';
import type { Backend } from './backend.js';
import type { RunStats } from './contract.js';

/** Runs whose durations the percentiles are taken over: the newest this many that completed or failed. */
export const DURATION_SAMPLE = 1000;

const STATS_CACHE_MS = 30_000;

/**
 * Templates' run statistics, computed from the job records at read time (no counters that could drift): counts by
 * status in one grouped query, then per template its percentiles, last run and last failure.
 */
export class TemplateRunStats {
  /**
   * Statistics beyond the counts (percentiles, last run, last failure) per template, reused while its runs' counts
   * by status are unchanged (any new run or state change alters them), for at most STATS_CACHE_MS: a page of
   * templates then costs one grouped count.
   */
  private readonly statsCache = new Map<string, { fingerprint: string; at: number; stats: RunStats }>();

  constructor(private readonly b: Backend) {}

  async runStats(ids: readonly string[], version?: number): Promise<Map<string, RunStats>> {
    const out = new Map<string, RunStats>();
    if (ids.length === 0) return out;
    // Counts by status in one grouped query over the template index; the rest per template, each bounded.
    const counts = await this.b.read((db) =>
      db
        .selectFrom('jobs')
        .select(['template_id', 'status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('template_id', 'in', ids)
        .$if(version !== undefined, (q) => q.where('template_version', '=', version as number))
        .groupBy(['template_id', 'status'])
        .execute(),
    );
    const byId = new Map<string, Partial<Record<JobStatus, number>>>();
    for (const c of counts) {
      const m = byId.get(c.template_id as string) ?? {};
      m[c.status] = Number(c.n);
      byId.set(c.template_id as string, m);
    }
    for (const id of ids) {
      const m = byId.get(id) ?? {};
      const n = (s: JobStatus) => m[s] ?? 0;
      const runs = Object.values(m).reduce((a, b) => a + (b ?? 0), 0);
      const base = {
        runs,
        completed: n('completed'),
        failed: n('failed'),
        cancelled: n('cancelled'),
        lost: n('lost'),
        active: n('queued') + n('running'),
      };
      const ended = base.completed + base.failed + base.lost;
      if (runs === 0) {
        out.set(id, { ...base, success_rate: null, p50_ms: null, p95_ms: null, last_run: null, last_failure: null });
        continue;
      }
      const key = `${id}@${version ?? '*'}`;
      const fingerprint = JSON.stringify(base);
      const hit = this.statsCache.get(key);
      if (hit && hit.fingerprint === fingerprint && Date.now() - hit.at < STATS_CACHE_MS) {
        out.set(id, hit.stats);
        continue;
      }
      const [pct, last, lastFailure] = await Promise.all([
        this.percentiles(id, version),
        this.b.read((db) =>
          db
            .selectFrom('jobs')
            .select(['id', 'status', 'created_at'])
            .where('template_id', '=', id)
            .$if(version !== undefined, (q) => q.where('template_version', '=', version as number))
            .orderBy('created_at', 'desc')
            .orderBy('id', 'desc')
            .limit(1)
            .executeTakeFirst(),
        ),
        this.b.read((db) =>
          db
            .selectFrom('jobs')
            .select(['id', 'status', 'finished_at', 'error'])
            .where('template_id', '=', id)
            .where('status', 'in', ['failed', 'lost'])
            .$if(version !== undefined, (q) => q.where('template_version', '=', version as number))
            .orderBy('created_at', 'desc')
            .orderBy('id', 'desc')
            .limit(1)
            .executeTakeFirst(),
        ),
      ]);
      const stats: RunStats = {
        ...base,
        success_rate: ended === 0 ? null : base.completed / ended,
        p50_ms: pct.p50,
        p95_ms: pct.p95,
        last_run: last ? { job_id: last.id, status: last.status, created_at: Number(last.created_at) } : null,
        last_failure: lastFailure
          ? {
              job_id: lastFailure.id,
              status: lastFailure.status,
              finished_at: lastFailure.finished_at === null ? null : Number(lastFailure.finished_at),
              error: lastFailure.error === null ? null : this.b.json.read(lastFailure.error),
            }
          : null,
      };
      out.set(id, stats);
      if (this.statsCache.size > 10_000) this.statsCache.clear();
      this.statsCache.set(key, { fingerprint, at: Date.now(), stats });
    }
    return out;
  }

  /**
   * p50 and p95 (nearest rank) of the newest DURATION_SAMPLE runs' durations, ranked by the database: one row back
   * instead of a thousand, which is most of a list's time otherwise.
   */
  private async percentiles(
    id: string,
    version: number | undefined,
  ): Promise<{ p50: number | null; p95: number | null }> {
    const inner = this.b.db
      .selectFrom('jobs')
      .select((eb) => eb(eb.ref('finished_at'), '-', eb.ref('started_at')).as('d'))
      .where('template_id', '=', id)
      .where('status', 'in', ['completed', 'failed'])
      .where('started_at', 'is not', null)
      .where('finished_at', 'is not', null)
      .$if(version !== undefined, (q) => q.where('template_version', '=', version as number))
      .orderBy('created_at', 'desc')
      .limit(DURATION_SAMPLE);
    const rows = await this.b.read(async (db) => {
      const r = await sql<{ d: number; r: number; n: number }>`
        select d, r, n from (
          select s.d as d, row_number() over (order by s.d) as r, count(*) over () as n from (${inner}) as s
        ) as ranked
        where r = (n * 50 + 99) / 100 or r = (n * 95 + 99) / 100`.execute(db);
      return r.rows;
    });
    const at = (pct: number) => {
      const row = rows.find((x) => Number(x.r) === Math.floor((Number(x.n) * pct + 99) / 100));
      return row === undefined ? null : Number(row.d);
    };
    return { p50: at(50), p95: at(95) };
  }
}
