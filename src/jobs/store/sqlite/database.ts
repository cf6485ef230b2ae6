import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { DatabaseConnection, Driver } from 'kysely';
import { CompiledQuery, Kysely, SqliteDialect, SqliteDriver } from '../kysely.js';
import type { SqliteDatabase, SqliteDialectConfig, SqliteStatement } from 'kysely';
import type { Database } from '../schema.js';

export interface SqliteOptions {
  /** How long a writer waits for another process's write lock before giving up (store_unavailable). */
  readonly busyTimeoutMs?: number;
  /** FULL (default): a committed change survives power loss. NORMAL: it survives a crash of deckhand, not of the OS. */
  readonly synchronous?: 'FULL' | 'NORMAL';
}

/**
 * Every transaction deckhand opens writes, or decides from what it reads (a claim counts running jobs): BEGIN
 * IMMEDIATE takes the write lock up front, so the read cannot go stale and the upgrade to a writer can never fail
 * with SQLITE_BUSY halfway (a deferred transaction that read first gets that at once, busy_timeout or not).
 */
class ImmediateDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly config: SqliteDialectConfig) {
    super(config);
  }
  override createDriver(): Driver {
    return new ImmediateDriver(this.config);
  }
}

/** Kysely prepares every query anew; the few shapes deckhand runs are compiled once and kept. */
function withStatementCache(raw: BetterSqlite3.Database, max = 256): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => raw.close(),
    prepare(sql: string): SqliteStatement {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = raw.prepare(sql) as unknown as SqliteStatement;
        if (cache.size >= max) cache.delete(cache.keys().next().value as string);
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}

export interface OpenedSqlite {
  readonly file: string;
  readonly raw: BetterSqlite3.Database;
  readonly db: Kysely<Database>;
}

/** Opens (creating it 0600) DECKHAND_HOME/deckhand.db in WAL mode, one connection per process. */
export function openSqlite(home: string, opts: SqliteOptions = {}): OpenedSqlite {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const file = path.join(home, 'deckhand.db');
  // SQLite gives its -wal and -shm files the database file's permissions: create it private first.
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  const raw = new BetterSqlite3(file);
  try {
    raw.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
    raw.pragma('journal_mode = WAL');
    raw.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
    // A checkpoint runs on the committing connection: keep the WAL from growing past a few MB between them.
    raw.pragma('wal_autocheckpoint = 1000');
  } catch (err) {
    raw.close();
    throw err;
  }
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(raw) }) });
  return { file, raw, db };
}
