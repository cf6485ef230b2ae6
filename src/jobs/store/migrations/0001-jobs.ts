import type { Kysely, Migration } from 'kysely';
import { sql } from '../kysely.js';
import type { StoreKind } from '../schema.js';
import { columnTypes } from './column-types.js';

/** Jobs, the instances that run them, and the database's own counters. */
export function jobsMigration(kind: StoreKind): Migration {
  const t = columnTypes(kind);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('server', 'text')
        .addColumn('params', t.json, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('progress', t.json, (c) => c.notNull())
        .addColumn('created_at', t.ms, (c) => c.notNull())
        .addColumn('started_at', t.ms)
        .addColumn('finished_at', t.ms)
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('exit_code', 'integer')
        .addColumn('error', t.json)
        .addColumn('result', t.json)
        .addColumn('timeout_s', 'integer', (c) => c.notNull())
        .addColumn('cancel_requested_at', t.ms)
        .addColumn('runtime', t.json, (c) => c.notNull())
        .addColumn('owner_instance', 'text')
        .addColumn('owner_host', 'text')
        .addColumn('owner_pid', 'integer')
        .addColumn('parent_id', 'text')
        .addColumn('parallel_limit', 'integer')
        .addColumn('wave', 'integer')
        .addColumn('priority', 'integer', (c) => c.notNull())
        .addColumn('not_before', t.ms)
        .addColumn('unique_key', 'text')
        .addColumn('rev', t.ms, (c) => c.notNull())
        .addColumn('updated_at', t.ms, (c) => c.notNull())
        .execute();
      // Each index serves a named query: claims and the active view (status), list-jobs by status and server,
      // a batch's children, the unique key of a schedule slot, retention by end time.
      await db.schema.createIndex('jobs_status_id').on('jobs').columns(['status', 'id']).execute();
      await db.schema.createIndex('jobs_server_status_id').on('jobs').columns(['server', 'status', 'id']).execute();
      await db.schema
        .createIndex('jobs_parent_id')
        .on('jobs')
        .columns(['parent_id', 'id'])
        .where(sql.ref('parent_id'), 'is not', null)
        .execute();
      await db.schema
        .createIndex('jobs_unique_key')
        .unique()
        .on('jobs')
        .column('unique_key')
        .where(sql.ref('unique_key'), 'is not', null)
        .execute();
      await db.schema
        .createIndex('jobs_finished_at')
        .on('jobs')
        .column('finished_at')
        .where(sql.ref('finished_at'), 'is not', null)
        .execute();
      // SQLite's change feed reads rows past a revision; PostgreSQL tells other instances with NOTIFY instead, and
      // takes revisions from a sequence (a counter row would make every write of every instance wait on one row).
      if (kind === 'sqlite') await db.schema.createIndex('jobs_rev').on('jobs').column('rev').execute();
      else await sql`create sequence job_rev`.execute(db);

      await db.schema
        .createTable('instances')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('pid', 'integer', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('started_at', t.ms, (c) => c.notNull())
        .addColumn('heartbeat_at', t.ms, (c) => c.notNull())
        .addColumn('max_jobs', 'integer', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
      await db
        .insertInto('meta' as never)
        .values({ key: 'job_rev', value: '0' } as never)
        .execute();
    },
  };
}
