import type { Transaction } from 'kysely';
import { cancelJob, isTerminal, JOB_STATUSES, requestCancel, type Job, type JobStatus } from '../types.js';
import type { Backend } from './backend.js';
import { Claimer } from './claims.js';
import type { ClaimRequest, InstanceRef, JobFilter, JobPage, JobStore, NewJobSpec, StatusCounts } from './contract.js';
import { logKeysOf } from '../log/keys.js';
import { duplicateJob } from './errors.js';
import { jobColumns, jobFromSpec, rowToJob } from './rows.js';
import type { Database } from './schema.js';

type Trx = Transaction<Database>;
const FINISHED: JobStatus[] = ['completed', 'failed', 'cancelled', 'lost'];
/** Rows per insert statement: well under SQLite's and PostgreSQL's limits on bound parameters. */
const INSERT_ROWS = 200;

export interface JobStoreOptions {
  /** A queued job's priority improves by one per this many ms waited (default 2 minutes). */
  readonly agingMs?: number;
}

/** The contract's JobStore on SQL tables, for both backends (the differences are the Backend's). */
export class SqlJobStore implements JobStore {
  private readonly claimer: Claimer;

  constructor(
    private readonly b: Backend,
    opts: JobStoreOptions = {},
  ) {
    this.claimer = new Claimer(b, opts.agingMs ?? 120_000);
  }

  async create(specs: readonly NewJobSpec[], now: number): Promise<Job[]> {
    const jobs = specs.map((s) => jobFromSpec(s, now));
    return this.guardDuplicates(jobs, () =>
      this.b.write(async (trx) => {
        await this.insert(trx, jobs, now);
        return jobs;
      }),
    );
  }

  async createAndClaim(spec: NewJobSpec, claim: ClaimRequest): Promise<Job> {
    const job = jobFromSpec(spec, claim.now);
    return this.guardDuplicates([job], () =>
      this.b.write(async (trx) => {
        await this.insert(trx, [job], claim.now);
        // Busy with another instance's claim: the job waits for the scheduler's, as if a job were ahead of it.
        if (job.status !== 'queued' || !(await this.b.tryLockClaims(trx))) return job;
        const first = (await this.claimer.pick(trx, { ...claim, max: 1 }))[0];
        if (first?.id !== job.id) return job;
        return (await this.claimer.start(trx, [job.id], claim))[0] ?? job;
      }),
    );
  }

  async get(id: string): Promise<Job | undefined> {
    const row = await this.b.read((db) => db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst());
    return row && rowToJob(row, this.b.json);
  }

  update(id: string, change: (job: Job) => Job | undefined): Promise<Job | undefined> {
    return this.b.write((trx) => this.change(trx, id, change));
  }

  updateAndClaim(
    id: string,
    change: (job: Job) => Job | undefined,
    claim: ClaimRequest,
  ): Promise<{ job: Job | undefined; claimed: Job[] }> {
    return this.b.write(async (trx) => {
      // The claim lock before the row lock, as every claim takes them, and only if it is free: the outcome this write
      // records never waits behind claims (the scheduler claims for the freed slot then).
      const locked = await this.b.tryLockClaims(trx);
      const job = await this.change(trx, id, change);
      return { job, claimed: locked ? await this.claimer.claim(trx, claim) : [] };
    });
  }

  async claim(req: ClaimRequest): Promise<Job[]> {
    if (req.max <= 0 || req.maxForInstance <= 0) return [];
    // Most ticks find nothing to start: a plain read answers them without taking the write (or claim) lock.
    const waiting = await this.b.read((db) =>
      db
        .selectFrom('jobs')
        .select('id')
        .where('status', '=', 'queued')
        .where('cancel_requested_at', 'is', null)
        .where((eb) => eb.or([eb('not_before', 'is', null), eb('not_before', '<=', req.now)]))
        .limit(1)
        .executeTakeFirst(),
    );
    if (!waiting) return [];
    return this.b.write((trx) => this.claimer.claim(trx, req));
  }

  requestCancel(id: string, now: number): Promise<Job | undefined> {
    const at = new Date(now);
    return this.update(id, (j) => {
      if (isTerminal(j.status)) return undefined;
      const asked = requestCancel(j, at);
      return j.status === 'queued' ? cancelJob(asked, at, 'Cancelled before it started.') : asked;
    });
  }

  async active(filter: { owner?: string } = {}): Promise<Job[]> {
    const rows = await this.b.read((db) => {
      let q = db.selectFrom('jobs').selectAll().where('status', 'in', ['queued', 'running']);
      if (filter.owner !== undefined) q = q.where('owner_instance', '=', filter.owner);
      return q.orderBy('id').execute();
    });
    return rows.map((r) => rowToJob(r, this.b.json));
  }

  async list(filter: JobFilter, limit: number, cursor?: string): Promise<JobPage> {
    const rows = await this.b.read((db) => {
      let q = db.selectFrom('jobs').selectAll();
      if (filter.status !== undefined) q = q.where('status', '=', filter.status);
      if (filter.server !== undefined) q = q.where('server', '=', filter.server);
      if (filter.type !== undefined) q = q.where('type', '=', filter.type);
      if (filter.parent_id !== undefined) q = q.where('parent_id', '=', filter.parent_id);
      if (filter.top_level) q = q.where('parent_id', 'is', null);
      if (filter.template_id !== undefined) q = q.where('template_id', '=', filter.template_id);
      if (filter.not_before_after !== undefined)
        q = q.where('status', '=', 'queued').where('not_before', '>', filter.not_before_after);
      if (cursor !== undefined) q = q.where('id', '<', cursor);
      // One more than the page says whether another page follows.
      return q
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
    });
    const page = rows.slice(0, limit).map((r) => rowToJob(r, this.b.json));
    return { jobs: page, next_cursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
  }

  async countChildren(parentId: string): Promise<StatusCounts> {
    const rows = await this.b.read((db) =>
      db
        .selectFrom('jobs')
        .select(['status', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('parent_id', '=', parentId)
        .groupBy('status')
        .execute(),
    );
    const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
    for (const r of rows) counts[r.status] = Number(r.n);
    return counts;
  }

  async takeOver(to: InstanceRef, staleBefore: number, now: number): Promise<Job[]> {
    // Checked with a read first: every instance asks every few seconds, and almost always nobody is gone.
    const orphans = (db: Pick<Trx, 'selectFrom'>) =>
      db
        .selectFrom('jobs')
        .leftJoin('instances', 'instances.id', 'jobs.owner_instance')
        .select('jobs.id')
        .where('jobs.status', '=', 'running')
        .where('jobs.owner_instance', 'is not', null)
        .where('jobs.owner_instance', '!=', to.id)
        .where((eb) => eb.or([eb('instances.id', 'is', null), eb('instances.heartbeat_at', '<', staleBefore)]));
    const staleRows = (db: Pick<Trx, 'selectFrom'>) =>
      db.selectFrom('instances').select('id').where('heartbeat_at', '<', staleBefore).where('id', '!=', to.id);
    const any = await this.b.read(async (db) => {
      const j = await orphans(db).limit(1).executeTakeFirst();
      return j ?? (await staleRows(db).limit(1).executeTakeFirst());
    });
    if (!any) return [];
    return this.b.write(async (trx) => {
      await this.b.lockClaims(trx);
      const ids = (await orphans(trx).execute()).map((r) => r.id);
      await trx.deleteFrom('instances').where('heartbeat_at', '<', staleBefore).where('id', '!=', to.id).execute();
      if (ids.length === 0) return [];
      const rev = await this.b.nextRev(trx);
      // The owner is checked again by the update itself: of two instances taking over at once, one gets each job.
      const rows = await trx
        .updateTable('jobs')
        .set({ owner_instance: to.id, owner_host: to.host, owner_pid: to.pid, rev, updated_at: now })
        .where('id', 'in', ids)
        .where('status', '=', 'running')
        .where('owner_instance', '!=', to.id)
        .returningAll()
        .execute();
      await this.b.notify(
        trx,
        rows.map((r) => r.id),
      );
      return rows.map((r) => rowToJob(r, this.b.json)).sort((a, b) => (a.id < b.id ? -1 : 1));
    });
  }

  deleteFinished(before: number, batch: number): Promise<string[]> {
    return this.deleteWhere((q) =>
      q
        .where('finished_at', '<', before)
        .where('status', 'in', FINISHED)
        // A template's history limits keep these beyond the global retention.
        .where((eb) => eb.or([eb('keep_log', 'is', null), eb('keep_log', '=', 0)]))
        .orderBy('finished_at')
        .limit(batch),
    );
  }

  async keptLogs(): Promise<string[]> {
    const rows = await this.b.read((db) => db.selectFrom('jobs').select('id').where('keep_log', '=', 1).execute());
    return rows.map((r) => r.id);
  }

  deleteExpired(now: number, batch: number): Promise<string[]> {
    return this.deleteWhere((q) =>
      q.where('expires_at', '<=', now).where('status', 'in', FINISHED).orderBy('expires_at').limit(batch),
    );
  }

  /** Deletes the jobs a query picks, and in the same write what the backend keeps for their logs (every attempt's). */
  private deleteWhere(
    pick: (q: ReturnType<typeof selectForDelete>) => ReturnType<typeof selectForDelete>,
  ): Promise<string[]> {
    return this.b.write(async (trx) => {
      const rows = await pick(selectForDelete(trx)).execute();
      if (rows.length === 0) return [];
      const ids = rows.map((r) => r.id);
      await trx.deleteFrom('jobs').where('id', 'in', ids).execute();
      const keys = rows.flatMap((r) => logKeysOf(r.id, r.attempt));
      // Bound parameters per statement stay far below the databases' limits, however many attempts each job had.
      for (let i = 0; i < keys.length; i += 1000) await this.b.afterDelete(trx, keys.slice(i, i + 1000));
      return ids;
    });
  }

  /** The read-modify-write of `update`, inside a write transaction. */
  private async change(trx: Trx, id: string, change: (job: Job) => Job | undefined): Promise<Job | undefined> {
    let q = trx.selectFrom('jobs').selectAll().where('id', '=', id);
    if (this.b.forUpdate) q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) return undefined;
    const job = rowToJob(row, this.b.json);
    const next = change(job);
    if (!next) return job;
    const now = Date.now();
    const rev = await this.b.nextRev(trx);
    const written = await trx
      .updateTable('jobs')
      .set({ ...jobColumns(next, this.b.json), rev, updated_at: now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.b.notify(trx, [id]);
    return rowToJob(written, this.b.json);
  }

  private async insert(trx: Trx, jobs: readonly Job[], now: number): Promise<void> {
    const keys = jobs.flatMap((j) => (j.unique_key === null ? [] : [j.unique_key]));
    const dup = keys.find((k, i) => keys.indexOf(k) !== i);
    if (dup !== undefined) throw duplicateJob(dup, undefined);
    if (keys.length > 0) {
      const taken = await trx
        .selectFrom('jobs')
        .select(['id', 'unique_key'])
        .where('unique_key', 'in', keys)
        .executeTakeFirst();
      if (taken) throw duplicateJob(taken.unique_key ?? '', taken.id);
    }
    const rev = await this.b.nextRev(trx);
    for (let i = 0; i < jobs.length; i += INSERT_ROWS) {
      const rows = jobs
        .slice(i, i + INSERT_ROWS)
        .map((j) => ({ id: j.id, ...jobColumns(j, this.b.json), rev, updated_at: now }));
      await trx.insertInto('jobs').values(rows).execute();
    }
    await this.b.notify(
      trx,
      jobs.map((j) => j.id),
    );
  }

  /** A racing writer (another instance) can insert the same unique key between our check and our insert. */
  private async guardDuplicates<T>(jobs: readonly Job[], run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      const keys = jobs.flatMap((j) => (j.unique_key === null ? [] : [j.unique_key]));
      if (keys.length === 0 || !this.b.isUniqueViolation(err)) throw err;
      const taken = await this.b.read((db) =>
        db.selectFrom('jobs').select(['id', 'unique_key']).where('unique_key', 'in', keys).executeTakeFirst(),
      );
      throw duplicateJob(taken?.unique_key ?? keys[0]!, taken?.id);
    }
  }
}

function selectForDelete(trx: Trx) {
  return trx.selectFrom('jobs').select(['id', 'attempt']);
}
