import { sql, type Kysely, type Migration } from 'kysely';
import { GENESIS_HASH } from '../../../audit/chain.js';
import type { StoreKind } from '../schema.js';
import { columnTypes } from './column-types.js';

/**
 * What policy and the audit log keep, for both databases: approvals a person is asked for, time-boxed grants, and
 * the audit log's hash chain with its head row.
 */
export function safetyMigration(kind: StoreKind): Migration {
  const t = columnTypes(kind);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('approvals')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('request', t.json, (c) => c.notNull())
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('requested_at', t.ms, (c) => c.notNull())
        .addColumn('expires_at', t.ms, (c) => c.notNull())
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', t.ms)
        .addColumn('used_at', t.ms)
        .execute();
      // The same call made again finds its request; the pending list is read newest first.
      await db.schema
        .createIndex('approvals_fingerprint')
        .on('approvals')
        .columns(['fingerprint', 'requested_at'])
        .execute();
      await db.schema.createIndex('approvals_status').on('approvals').columns(['status', 'requested_at']).execute();
      await db.schema.createIndex('approvals_expires').on('approvals').column('expires_at').execute();

      await db.schema
        .createTable('grants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('server', 'text', (c) => c.notNull())
        .addColumn('pattern', 'text', (c) => c.notNull())
        .addColumn('granted_by', 'text', (c) => c.notNull())
        .addColumn('granted_at', t.ms, (c) => c.notNull())
        .addColumn('expires_at', t.ms, (c) => c.notNull())
        .addColumn('approval_id', 'text')
        .addColumn('revoked_at', t.ms)
        .execute();
      await db.schema.createIndex('grants_server_expires').on('grants').columns(['server', 'expires_at']).execute();
      await db.schema.createIndex('grants_expires').on('grants').column('expires_at').execute();

      await db.schema
        .createTable('audit_log')
        .addColumn('seq', t.ms, (c) => c.primaryKey())
        .addColumn('at_ms', t.ms, (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('server', 'text')
        .addColumn('job_id', 'text')
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('entry', 'text', (c) => c.notNull())
        .execute();
      // audit tail --server; retention and --since by time; a job's entries; and at most one outcome per job, whatever
      // several instances recording the same end do.
      await db.schema.createIndex('audit_log_server').on('audit_log').columns(['server', 'seq']).execute();
      await db.schema.createIndex('audit_log_at').on('audit_log').column('at_ms').execute();
      await db.schema
        .createIndex('audit_log_job')
        .on('audit_log')
        .columns(['job_id', 'event'])
        .where(sql.ref('job_id'), 'is not', null)
        .execute();
      await db.schema
        .createIndex('audit_log_outcome')
        .unique()
        .on('audit_log')
        .column('job_id')
        .where(sql.ref('event'), '=', 'outcome')
        .execute();

      await db.schema
        .createTable('audit_head')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('seq', t.ms, (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('start_seq', t.ms, (c) => c.notNull())
        .addColumn('start_hash', 'text', (c) => c.notNull())
        .execute();
      await db
        .insertInto('audit_head' as never)
        .values({ id: 1, seq: 0, hash: GENESIS_HASH, start_seq: 0, start_hash: GENESIS_HASH } as never)
        .execute();
    },
  };
}
