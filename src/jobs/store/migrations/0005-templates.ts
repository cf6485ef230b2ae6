import type { Kysely, Migration } from 'kysely';
import { sql } from '../kysely.js';
import type { StoreKind } from '../schema.js';
import { columnTypes } from './column-types.js';

/**
 * Templates (a job definition kept and run again) with their immutable versions and their schedules' firing state,
 * the slots a schedule skipped or missed, and on every job the template run it is (template id, version, what
 * started it) plus `keep_log`: the runs whose logs the template's history limits keep beyond the global retention.
 * A scheduled run's slot is the job's `unique_key`, which already admits one job per key.
 */
export function templatesMigration(kind: StoreKind): Migration {
  const t = columnTypes(kind);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('templates')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('definition', t.json, (c) => c.notNull())
        .addColumn('created_at', t.ms, (c) => c.notNull())
        .addColumn('updated_at', t.ms, (c) => c.notNull())
        // Firing state (decide.ts): the last slot handled, since when slots count, and when to look again.
        .addColumn('sched_cursor', t.ms)
        .addColumn('sched_since', t.ms)
        .addColumn('next_due_at', t.ms)
        .execute();
      await db.schema
        .createIndex('templates_next_due')
        .on('templates')
        .column('next_due_at')
        .where(sql.ref('next_due_at'), 'is not', null)
        .execute();

      await db.schema
        .createTable('template_versions')
        .addColumn('template_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('definition', t.json, (c) => c.notNull())
        .addColumn('created_at', t.ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('template_versions_pk', ['template_id', 'version'])
        .execute();

      await db.schema
        .createTable('schedule_events')
        .addColumn('template_id', 'text', (c) => c.notNull())
        .addColumn('slot', t.ms, (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('at', t.ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('schedule_events_pk', ['template_id', 'slot', 'kind'])
        .execute();

      await db.schema.alterTable('jobs').addColumn('template_id', 'text').execute();
      await db.schema.alterTable('jobs').addColumn('template_version', 'integer').execute();
      await db.schema.alterTable('jobs').addColumn('template_trigger', 'text').execute();
      await db.schema.alterTable('jobs').addColumn('keep_log', 'integer').execute();
      // A template's runs, newest first, in the order its listings sort by, with what its statistics read: the
      // durations of the newest runs, the last run and failure, the active runs come from this index alone. Without
      // it, listing 20 templates with 100,000 runs read every run's row (bench/templates.ts: 1.7 s, now a few ms).
      await db.schema
        .createIndex('jobs_template')
        .on('jobs')
        .columns(['template_id', 'created_at', 'id', 'status', 'started_at', 'finished_at'])
        .where(sql.ref('template_id'), 'is not', null)
        .execute();
      // Counts of a template's runs by status, from the index alone.
      await db.schema
        .createIndex('jobs_template_status')
        .on('jobs')
        .columns(['template_id', 'status'])
        .where(sql.ref('template_id'), 'is not', null)
        .execute();
      // The few runs whose logs a history keeps, for retention (JobStore.keptLogs) without a scan of every job.
      await db.schema.createIndex('jobs_keep_log').on('jobs').column('id').where(sql.ref('keep_log'), '=', 1).execute();
    },
  };
}
