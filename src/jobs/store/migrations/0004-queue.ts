import type { Kysely, Migration } from 'kysely';
import { sql } from '../kysely.js';
import type { StoreKind } from '../schema.js';
import { columnTypes } from './column-types.js';

/**
 * Queue policies on every job: the retry policy and the history of ended attempts (JSON), the active deadline over
 * all attempts, and the time-to-live after the end, with `expires_at` (finished_at + ttl, set by the store) indexed
 * for the housekeeper's sweep. Every column is nullable: rows written before this migration read as "no policy".
 */
export function queueMigration(kind: StoreKind): Migration {
  const t = columnTypes(kind);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      await db.schema.alterTable('jobs').addColumn('retry', t.json).execute();
      await db.schema.alterTable('jobs').addColumn('attempts', t.json).execute();
      await db.schema.alterTable('jobs').addColumn('active_deadline_s', 'integer').execute();
      await db.schema.alterTable('jobs').addColumn('ttl_after_finished_s', 'integer').execute();
      await db.schema.alterTable('jobs').addColumn('expires_at', t.ms).execute();
      await db.schema
        .createIndex('jobs_expires_at')
        .on('jobs')
        .column('expires_at')
        .where(sql.ref('expires_at'), 'is not', null)
        .execute();
    },
  };
}
