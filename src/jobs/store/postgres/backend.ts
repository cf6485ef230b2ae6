import type { Kysely, Transaction } from 'kysely';
import { sql } from '../kysely.js';
import type { Backend } from '../backend.js';
import type { JsonCodec } from '../rows.js';
import type { Database } from '../schema.js';
import { mapPgError, type PgTarget } from './connection.js';

/** pg parses jsonb itself; writing passes JSON text, which the server casts. */
const json: JsonCodec = {
  write: (v) => JSON.stringify(v),
  read: (v) => v,
};

/** The claim lock's key: one lock for every claim and take-over of the database (pg_advisory_xact_lock). */
const CLAIM_LOCK = 0x6465636b; // "deck"

export const CHANNEL = 'deckhand_changes';

/** NOTIFY payloads stay well under PostgreSQL's 8000 bytes. */
const PAYLOAD_MAX = 7000;

/** What other instances are told: who changed jobs (so it can ignore itself), and which. */
export interface ChangePayload {
  /** The instance that made the change. */
  readonly i: string;
  /** Jobs changed. */
  readonly j?: string[];
  /** A job with new lines, and its last seq. */
  readonly l?: string;
  readonly s?: number;
}

/** Splits job ids into payloads that each fit a NOTIFY. */
export function jobPayloads(instance: string, ids: readonly string[]): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  let size = 40 + instance.length;
  for (const id of ids) {
    if (cur.length > 0 && size + id.length + 3 > PAYLOAD_MAX) {
      out.push(JSON.stringify({ i: instance, j: cur } satisfies ChangePayload));
      cur = [];
      size = 40 + instance.length;
    }
    cur.push(id);
    size += id.length + 3;
  }
  if (cur.length > 0) out.push(JSON.stringify({ i: instance, j: cur } satisfies ChangePayload));
  return out;
}

export class PostgresBackend implements Backend {
  readonly kind = 'postgres' as const;
  readonly json = json;
  readonly forUpdate = true;

  constructor(
    readonly db: Kysely<Database>,
    readonly target: PgTarget,
    private readonly instanceId: string,
  ) {}

  async write<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction().execute(fn);
    } catch (err) {
      throw mapPgError(err, this.target);
    }
  }

  async read<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    try {
      return await fn(this.db);
    } catch (err) {
      throw mapPgError(err, this.target);
    }
  }

  async lockClaims(trx: Transaction<Database>): Promise<void> {
    await sql`select pg_advisory_xact_lock(${CLAIM_LOCK})`.execute(trx);
  }

  async tryLockClaims(trx: Transaction<Database>): Promise<boolean> {
    const r = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${CLAIM_LOCK}) as ok`.execute(trx);
    return r.rows[0]?.ok === true;
  }

  async nextRev(trx: Transaction<Database>): Promise<number> {
    const r = await sql<{ rev: number }>`select nextval('job_rev') as rev`.execute(trx);
    return Number(r.rows[0]?.rev ?? 0);
  }

  async notify(trx: Transaction<Database>, ids: readonly string[]): Promise<void> {
    // Delivered only if and when the transaction commits, in commit order.
    for (const payload of jobPayloads(this.instanceId, ids))
      await sql`select pg_notify(${CHANNEL}, ${payload})`.execute(trx);
  }

  async afterDelete(trx: Transaction<Database>, logKeys: readonly string[]): Promise<void> {
    await trx.deleteFrom('log_chunks').where('job_id', 'in', logKeys).execute();
    await trx.deleteFrom('log_heads').where('job_id', 'in', logKeys).execute();
  }

  isUniqueViolation(err: unknown): boolean {
    return (err as { code?: unknown }).code === '23505';
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
