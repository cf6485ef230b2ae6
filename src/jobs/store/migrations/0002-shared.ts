import type { Kysely, Migration } from 'kysely';
import { sql } from '../kysely.js';
import type { StoreKind } from '../schema.js';
import { columnTypes } from './column-types.js';

/**
 * What PostgreSQL keeps for several instances and the embedded mode keeps in files: job logs in chunk rows, secrets
 * sealed with AES-256-GCM, and the inventory. Nothing for SQLite.
 */
export function sharedMigration(kind: StoreKind): Migration {
  const t = columnTypes(kind);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (kind !== 'postgres') return;
      await db.schema
        .createTable('log_chunks')
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('first_seq', t.ms, (c) => c.notNull())
        .addColumn('last_seq', t.ms, (c) => c.notNull())
        .addColumn('segment', 'integer', (c) => c.notNull())
        .addColumn('first_ts', t.ms, (c) => c.notNull())
        .addColumn('last_ts', t.ms, (c) => c.notNull())
        .addColumn('out_off', t.ms, (c) => c.notNull())
        .addColumn('err_off', t.ms, (c) => c.notNull())
        .addColumn('out_n', t.ms, (c) => c.notNull())
        .addColumn('err_n', t.ms, (c) => c.notNull())
        .addColumn('bytes', 'integer', (c) => c.notNull())
        .addColumn('data', t.bytes, (c) => c.notNull())
        .addColumn('entries', t.bytes, (c) => c.notNull())
        .addPrimaryKeyConstraint('log_chunks_pk', ['job_id', 'first_seq'])
        .execute();
      // Log text compresses well and lz4 costs little: fewer bytes for the table and the WAL. A server built without
      // lz4 keeps chunks as they came (pglz, the default, would cost more than it saves on every insert).
      await sql`do $$ begin
          alter table log_chunks alter column data set compression lz4;
        exception when feature_not_supported or invalid_parameter_value then
          alter table log_chunks alter column data set storage external;
        end $$`.execute(db);
      await db.schema
        .createTable('log_heads')
        .addColumn('job_id', 'text', (c) => c.primaryKey())
        .addColumn('last_seq', t.ms, (c) => c.notNull())
        .addColumn('bytes', t.ms, (c) => c.notNull())
        .addColumn('removed_at', 'text')
        .addColumn('removed_reason', 'text')
        .addColumn('removed_lines', t.ms)
        .addColumn('removed_bytes', t.ms)
        .execute();
      await db.schema
        .createTable('secrets')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('sealed', t.bytes, (c) => c.notNull())
        .addColumn('updated_at', t.ms, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('inventory')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('record', t.json, (c) => c.notNull())
        .execute();
    },
  };
}
