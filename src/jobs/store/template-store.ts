import type { Selectable, Transaction } from 'kysely';
import { DeckhandError } from '../../errors.js';
import type { JobStatus } from '../types.js';
import type { Backend } from './backend.js';
import type {
  RunStats,
  ScheduleEvent,
  StoredTemplate,
  TemplateStatus,
  TemplateStore,
  TemplateVersion,
} from './contract.js';
import type { Database, TemplatesTable } from './schema.js';
import { TemplateRunStats } from './template-stats.js';

const ACTIVE: JobStatus[] = ['queued', 'running'];

/** The contract's TemplateStore on the `templates`, `template_versions` and `schedule_events` tables, for both backends. */
export class SqlTemplateStore implements TemplateStore {
  private readonly stats: TemplateRunStats;

  constructor(private readonly b: Backend) {
    this.stats = new TemplateRunStats(b);
  }

  async create(t: StoredTemplate): Promise<StoredTemplate> {
    try {
      await this.b.write(async (trx) => {
        await trx.insertInto('templates').values(this.row(t)).execute();
        await trx
          .insertInto('template_versions')
          .values({
            template_id: t.id,
            version: t.version,
            definition: this.b.json.write(t.definition),
            created_at: t.updated_at,
          })
          .execute();
      });
    } catch (err) {
      if (this.b.isUniqueViolation(err)) {
        throw new DeckhandError('template_exists', `A template named "${t.name}" already exists.`, {
          hint: 'Update it with save-template (same name: a new version), or choose another name.',
        });
      }
      throw err;
    }
    return t;
  }

  async get(name: string): Promise<StoredTemplate | undefined> {
    const row = await this.b.read((db) =>
      db.selectFrom('templates').selectAll().where('name', '=', name).executeTakeFirst(),
    );
    return row && this.template(row);
  }

  async getById(id: string): Promise<StoredTemplate | undefined> {
    const row = await this.b.read((db) =>
      db.selectFrom('templates').selectAll().where('id', '=', id).executeTakeFirst(),
    );
    return row && this.template(row);
  }

  async list(filter: { status?: TemplateStatus; limit: number; after?: string }): Promise<StoredTemplate[]> {
    const rows = await this.b.read((db) => {
      let q = db.selectFrom('templates').selectAll();
      q = filter.status !== undefined ? q.where('status', '=', filter.status) : q.where('status', '!=', 'archived');
      if (filter.after !== undefined) q = q.where('name', '>', filter.after);
      return q.orderBy('name').limit(filter.limit).execute();
    });
    return rows.map((r) => this.template(r));
  }

  update(name: string, change: (t: StoredTemplate) => StoredTemplate | undefined): Promise<StoredTemplate | undefined> {
    return this.b.write(async (trx) => {
      const row = await this.locked(trx, name);
      if (!row) return undefined;
      const before = this.template(row);
      const after = change(before);
      if (!after) return before;
      if (after.id !== before.id || after.name !== before.name) throw new TypeError('a template keeps its id and name');
      if (after.version !== before.version && after.version !== before.version + 1)
        throw new TypeError('a change raises the version by one at most');
      await trx.updateTable('templates').set(this.row(after)).where('id', '=', before.id).execute();
      if (after.version !== before.version) {
        await trx
          .insertInto('template_versions')
          .values({
            template_id: after.id,
            version: after.version,
            definition: this.b.json.write(after.definition),
            created_at: after.updated_at,
          })
          .execute();
      }
      return after;
    });
  }

  async versions(id: string, limit: number): Promise<TemplateVersion[]> {
    const rows = await this.b.read((db) =>
      db
        .selectFrom('template_versions')
        .selectAll()
        .where('template_id', '=', id)
        .orderBy('version', 'desc')
        .limit(limit)
        .execute(),
    );
    return rows.map((r) => this.version_(r));
  }

  async version(id: string, version: number): Promise<TemplateVersion | undefined> {
    const row = await this.b.read((db) =>
      db
        .selectFrom('template_versions')
        .selectAll()
        .where('template_id', '=', id)
        .where('version', '=', version)
        .executeTakeFirst(),
    );
    return row && this.version_(row);
  }

  delete(name: string): Promise<StoredTemplate | undefined> {
    return this.b.write(async (trx) => {
      const row = await this.locked(trx, name);
      if (!row) return undefined;
      await trx.deleteFrom('template_versions').where('template_id', '=', row.id).execute();
      await trx.deleteFrom('schedule_events').where('template_id', '=', row.id).execute();
      await trx.deleteFrom('templates').where('id', '=', row.id).execute();
      // Its runs stay as job records; their logs go back under the global retention.
      await trx.updateTable('jobs').set({ keep_log: 0 }).where('template_id', '=', row.id).execute();
      return this.template(row);
    });
  }

  async due(now: number, limit: number): Promise<StoredTemplate[]> {
    const rows = await this.b.read((db) =>
      db
        .selectFrom('templates')
        .selectAll()
        .where('next_due_at', 'is not', null)
        .where('next_due_at', '<=', now)
        .where('status', '=', 'enabled')
        .orderBy('next_due_at')
        .limit(limit)
        .execute(),
    );
    return rows.map((r) => this.template(r));
  }

  advanceSchedule(id: string, state: { cursor: number | null; next_due_at: number | null }): Promise<void> {
    return this.b.write(async (trx) => {
      const row = await trx
        .selectFrom('templates')
        .select(['sched_cursor'])
        .where('id', '=', id)
        .$if(this.b.forUpdate, (q) => q.forUpdate())
        .executeTakeFirst();
      if (!row) return;
      const stored = row.sched_cursor === null ? null : Number(row.sched_cursor);
      // Two instances deciding the same slots store the same cursor; a slower one never moves it back.
      const cursor = stored === null ? state.cursor : state.cursor === null ? stored : Math.max(stored, state.cursor);
      await trx
        .updateTable('templates')
        .set({ sched_cursor: cursor, next_due_at: state.next_due_at })
        .where('id', '=', id)
        .execute();
    });
  }

  async recordScheduleEvents(id: string, events: readonly ScheduleEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.b.write(async (trx) => {
      for (let i = 0; i < events.length; i += 100) {
        await trx
          .insertInto('schedule_events')
          .values(events.slice(i, i + 100).map((e) => ({ template_id: id, ...e })))
          .onConflict((oc) => oc.columns(['template_id', 'slot', 'kind']).doNothing())
          .execute();
      }
    });
  }

  async scheduleEvents(id: string, limit: number): Promise<ScheduleEvent[]> {
    const rows = await this.b.read((db) =>
      db
        .selectFrom('schedule_events')
        .selectAll()
        .where('template_id', '=', id)
        .orderBy('slot', 'desc')
        .limit(limit)
        .execute(),
    );
    return rows.map((r) => ({
      slot: Number(r.slot),
      kind: r.kind === 'skipped' ? 'skipped' : 'missed',
      reason: r.reason,
      count: Number(r.count),
      at: Number(r.at),
    }));
  }

  runStats(ids: readonly string[], version?: number): Promise<Map<string, RunStats>> {
    return this.stats.runStats(ids, version);
  }

  async slotTaken(key: string): Promise<boolean> {
    const row = await this.b.read((db) =>
      db.selectFrom('jobs').select('id').where('unique_key', '=', key).executeTakeFirst(),
    );
    return row !== undefined;
  }

  async activeRuns(id: string): Promise<string[]> {
    const rows = await this.b.read((db) =>
      db
        .selectFrom('jobs')
        .select('id')
        .where('template_id', '=', id)
        .where('status', 'in', ACTIVE)
        .orderBy('created_at')
        .execute(),
    );
    return rows.map((r) => r.id);
  }

  keepHistory(id: string, limits: { successful: number; failed: number }): Promise<void> {
    return this.b.write(async (trx) => {
      const newest = (statuses: JobStatus[], n: number) =>
        n <= 0
          ? Promise.resolve([] as { id: string }[])
          : trx
              .selectFrom('jobs')
              .select('id')
              .where('template_id', '=', id)
              .where('status', 'in', statuses)
              .orderBy('created_at', 'desc')
              .orderBy('id', 'desc')
              .limit(n)
              .execute();
      const kept = [
        ...(await newest(['completed'], limits.successful)),
        ...(await newest(['failed', 'lost'], limits.failed)),
      ].map((r) => r.id);
      await trx
        .updateTable('jobs')
        .set({ keep_log: 0 })
        .where('keep_log', '=', 1)
        .where((eb) =>
          eb.or([
            eb('template_id', '=', id),
            eb('parent_id', 'in', eb.selectFrom('jobs as p').select('p.id').where('p.template_id', '=', id)),
          ]),
        )
        .execute();
      if (kept.length > 0) {
        await trx
          .updateTable('jobs')
          .set({ keep_log: 1 })
          .where((eb) => eb.or([eb('id', 'in', kept), eb('parent_id', 'in', kept)]))
          .execute();
      }
    });
  }

  /** The template's row, locked for the rest of the transaction (PostgreSQL; SQLite's write lock covers it). */
  private locked(trx: Transaction<Database>, name: string) {
    return trx
      .selectFrom('templates')
      .selectAll()
      .where('name', '=', name)
      .$if(this.b.forUpdate, (q) => q.forUpdate())
      .executeTakeFirst();
  }

  private row(t: StoredTemplate): Selectable<TemplatesTable> {
    return {
      id: t.id,
      name: t.name,
      status: t.status,
      version: t.version,
      definition: this.b.json.write(t.definition),
      created_at: t.created_at,
      updated_at: t.updated_at,
      sched_cursor: t.schedule_state.cursor,
      sched_since: t.schedule_state.since,
      next_due_at: t.schedule_state.next_due_at,
    };
  }

  private template(r: Selectable<TemplatesTable>): StoredTemplate {
    const num = (v: number | null) => (v === null ? null : Number(v));
    return {
      id: r.id,
      name: r.name,
      status: r.status as TemplateStatus,
      version: Number(r.version),
      definition: this.b.json.read(r.definition) as Record<string, unknown>,
      created_at: Number(r.created_at),
      updated_at: Number(r.updated_at),
      schedule_state: { cursor: num(r.sched_cursor), since: num(r.sched_since), next_due_at: num(r.next_due_at) },
    };
  }

  private version_(r: { version: number; definition: unknown; created_at: number }): TemplateVersion {
    return {
      version: Number(r.version),
      definition: this.b.json.read(r.definition) as Record<string, unknown>,
      created_at: Number(r.created_at),
    };
  }
}
