import type { Kysely, Transaction } from 'kysely';
import { sql } from '../kysely.js';
import { DeckhandError } from '../../../errors.js';
import type { Backend } from '../backend.js';
import { storeUnavailable } from '../errors.js';
import type { JsonCodec } from '../rows.js';
import type { Database } from '../schema.js';
import { GroupCommit } from './group-commit.js';

const json: JsonCodec = {
  write: (v) => JSON.stringify(v),
  read: (v) => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v),
};

/**
 * The revisions this process stamped, so its change feed can leave out its own writes (this process tells its own
 * listeners directly). Kept only while someone watches, and only those the feed has not passed yet.
 */
export class OwnRevisions {
  private readonly revs = new Set<number>();
  recording = false;

  /** Revisions stamped by the write under way (group-commit.ts), forgotten if its savepoint is rolled back. */
  private current: number[] = [];

  add(rev: number): void {
    this.current.push(rev);
    if (this.recording) this.revs.add(rev);
  }
  /** A write of a shared transaction begins. */
  begin(): void {
    this.current = [];
  }
  /** That write was rolled back: its revisions were never committed, and another process may commit them. */
  rolledBack(): void {
    for (const r of this.current) this.revs.delete(r);
    this.current = [];
  }
  has(rev: number): boolean {
    return this.revs.has(rev);
  }
  /** Forgets revisions the feed has read past. */
  dropUpTo(rev: number): void {
    for (const r of this.revs) if (r <= rev) this.revs.delete(r);
  }
}

/** SQLite's error codes that mean "not now", as opposed to a bug or a broken file. */
function mapError(err: unknown, file: string): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return err;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return storeUnavailable(file, 'another deckhand process held its write lock too long', err);
  if (/^SQLITE_(IOERR|FULL|READONLY|CANTOPEN|PERM)/.test(code))
    return storeUnavailable(file, `the disk refused (${code})`, err);
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB')
    return new DeckhandError('store_corrupt', `The database ${file} is damaged (${code}).`, {
      hint: 'Restore it from a backup (sqlite3 deckhand.db ".backup copy.db" makes one), or move it aside to start afresh.',
      cause: err,
    });
  return err;
}

/**
 * Write transactions of one process, one at a time. Kysely already serialises the queries of one connection; a gate
 * shared by two connections of ONE process (tests open several stores on one file) keeps the synchronous busy
 * handler of one from blocking the thread the other needs to finish its transaction.
 */
export class Gate {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const before = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await before;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

export class SqliteBackend implements Backend {
  readonly kind = 'sqlite' as const;
  readonly json = json;
  readonly forUpdate = false;
  readonly own = new OwnRevisions();
  private readonly commits: GroupCommit;

  constructor(
    readonly db: Kysely<Database>,
    private readonly file: string,
    gate = new Gate(),
  ) {
    this.commits = new GroupCommit(db, (fn) => gate.run(fn), this.own);
  }

  async write<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    try {
      return await this.commits.write(fn);
    } catch (err) {
      throw mapError(err, this.file);
    }
  }

  async read<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    try {
      return await fn(this.db);
    } catch (err) {
      throw mapError(err, this.file);
    }
  }

  async lockClaims(): Promise<void> {
    // BEGIN IMMEDIATE already holds the database's one write lock.
  }

  async tryLockClaims(): Promise<boolean> {
    return true;
  }

  async nextRev(trx: Transaction<Database>): Promise<number> {
    const row = await trx
      .updateTable('meta')
      .set({ value: sql<string>`value + 1` })
      .where('key', '=', 'job_rev')
      .returning('value')
      .executeTakeFirstOrThrow();
    const rev = Number(row.value);
    this.own.add(rev);
    return rev;
  }

  async notify(): Promise<void> {
    // Other processes see the new revision (sqlite/changes.ts): nothing to send.
  }

  async afterDelete(): Promise<void> {
    // Logs are files, removed by the log retention sweep.
  }

  isUniqueViolation(err: unknown): boolean {
    const code = (err as { code?: unknown }).code;
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  }

  async close(): Promise<void> {
    await this.commits.idle();
    await this.db.destroy();
  }
}
