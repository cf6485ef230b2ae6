import type { Kysely, Transaction } from 'kysely';
import type { JsonCodec } from './rows.js';
import type { Database, StoreKind } from './schema.js';

/**
 * What differs between SQLite and PostgreSQL under the job and instance stores, in one place each. Everything else
 * (the queries, the claim order, the records) is shared and typed by Kysely from schema.ts.
 */
export interface Backend {
  readonly kind: StoreKind;
  readonly db: Kysely<Database>;
  /** JSON columns: text in SQLite, jsonb in PostgreSQL. */
  readonly json: JsonCodec;
  /**
   * A write transaction. SQLite: BEGIN IMMEDIATE, so the database's one write lock is held from the first read and
   * what the transaction reads stays current until it commits. PostgreSQL: READ COMMITTED, with row locks (`forUpdate`)
   * and the claim lock where a decision depends on other rows. A database that cannot be reached rejects with
   * `store_unavailable`.
   */
  write<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /** Statements outside a transaction (reads, or one statement that is atomic alone), failures mapped like write's. */
  read<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  /** Whether a read-modify-write must lock its rows (`select … for update`): PostgreSQL; SQLite's write lock covers it. */
  readonly forUpdate: boolean;
  /**
   * Serialises the decisions that count running jobs across instances (claims, take-overs): SQLite's write lock
   * already does; PostgreSQL takes a transaction-scoped advisory lock, so the per-server limit holds across instances.
   */
  lockClaims(trx: Transaction<Database>): Promise<void>;
  /**
   * The claim lock if it is free now, without waiting (PostgreSQL: pg_try_advisory_xact_lock; SQLite: always, its
   * write lock is held). For the claims that ride along with another write (a job created, a job ended): under a
   * burst they leave the claim to the scheduler instead of queueing behind every other instance's claim, so the
   * write they carry never waits long or times out.
   */
  tryLockClaims(trx: Transaction<Database>): Promise<boolean>;
  /** The revision to stamp on rows this transaction writes (SQLite: a counter in `meta`; PostgreSQL: a sequence). */
  nextRev(trx: Transaction<Database>): Promise<number>;
  /** Tells other processes these jobs changed, on commit (PostgreSQL: NOTIFY; SQLite: the revision is the signal). */
  notify(trx: Transaction<Database>, ids: readonly string[]): Promise<void>;
  /** Removes what belongs to deleted jobs in the same transaction (PostgreSQL: the log rows of these log keys). */
  afterDelete(trx: Transaction<Database>, logKeys: readonly string[]): Promise<void>;
  /** Whether an error is a unique-constraint violation (a duplicate key inserted by a racing writer). */
  isUniqueViolation(err: unknown): boolean;
  close(): Promise<void>;
}
