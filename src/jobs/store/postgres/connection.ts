import pg from 'pg';
import { DeckhandError } from '../../../errors.js';
import { storeUnavailable } from '../errors.js';

/** Where a DECKHAND_DATABASE_URL points, for messages: never the password. */
export interface PgTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** host:port/database */
  readonly location: string;
}

export function describeUrl(url: string): PgTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DeckhandError('invalid_database_url', 'DECKHAND_DATABASE_URL is not a valid URL.', {
      hint: 'Write it as postgres://USER:PASSWORD@HOST:5432/DATABASE (percent-encode special characters in the password).',
    });
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:')
    throw new DeckhandError(
      'invalid_database_url',
      `DECKHAND_DATABASE_URL must start with postgres:// (it starts with ${u.protocol}//).`,
      { hint: 'Write it as postgres://USER:PASSWORD@HOST:5432/DATABASE.' },
    );
  const host = decodeURIComponent(u.hostname) || 'localhost';
  const port = Number(u.port || 5432);
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres';
  const user = decodeURIComponent(u.username) || 'postgres';
  return { host, port, database, user, location: `${host}:${port}/${database}` };
}

export interface PoolOptions {
  /** How long getting a connection may take before a call answers store_unavailable (default 3 s). */
  readonly connectTimeoutMs?: number;
  /** How long one statement may run, server side and client side (default 5 s). */
  readonly statementTimeoutMs?: number;
  readonly max?: number;
}

/** BIGINT (int8) columns hold epoch milliseconds and counts: numbers, not strings. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 && format !== 'binary'
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** The settings every connection of deckhand uses: bounded waits everywhere, so nothing can hang. */
export function clientConfig(url: string, o: PoolOptions = {}): pg.ClientConfig {
  const statement = o.statementTimeoutMs ?? 5000;
  return {
    connectionString: url,
    connectionTimeoutMillis: o.connectTimeoutMs ?? 3000,
    statement_timeout: statement,
    query_timeout: statement + 1000,
    lock_timeout: statement,
    idle_in_transaction_session_timeout: statement * 3,
    keepAlive: true,
    application_name: 'deckhand',
    types,
  };
}

export function createPool(url: string, o: PoolOptions, onError: (err: unknown) => void): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(url, o), max: o.max ?? 10, idleTimeoutMillis: 30_000 });
  // A connection that dies (the server restarted) is reported and dropped, never thrown at the process: the pool
  // handles its idle ones, and a connection handed out between two statements gets a listener of its own (pg emits
  // 'error' on it with nobody listening otherwise). Its next statement fails and the pool discards it.
  pool.on('error', onError);
  pool.on('connect', (client) => client.on('error', onError));
  return pool;
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, in recovery)
  '57014', // query_canceled (statement_timeout)
  '55P03', // lock_not_available (lock_timeout)
  '53300', // too_many_connections
  '25P03', // idle_in_transaction_session_timeout
]);

/** Whether an error means "the database cannot be reached now", as opposed to a bug or a refused statement. */
export function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  const msg = err instanceof Error ? err.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client was closed|Client has encountered a connection error|not queryable|Connection ended/i.test(
    msg,
  );
}

export function mapPgError(err: unknown, target: PgTarget): unknown {
  if (err instanceof DeckhandError || !isUnavailable(err)) return err;
  const why = err instanceof Error ? err.message : String(err);
  return storeUnavailable(`PostgreSQL at ${target.location}`, why, err);
}

/** Why a first connection failed, said for a person: what was tried and what to check. Never the password. */
export function startupError(err: unknown, t: PgTarget): DeckhandError {
  const code = (err as { code?: unknown }).code;
  const msg = err instanceof Error ? err.message : String(err);
  const at = `PostgreSQL at ${t.host} port ${t.port}, database "${t.database}" (user "${t.user}")`;
  const say = (what: string, hint: string) =>
    new DeckhandError('store_unreachable', `Cannot use ${at}: ${what}.`, {
      hint: `${hint} The address comes from DECKHAND_DATABASE_URL.`,
    });
  if (code === 'ECONNREFUSED')
    return say(
      'nothing accepts connections there',
      'Check that PostgreSQL is running and listens on that host and port (listen_addresses, port).',
    );
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return say(`the host name "${t.host}" does not resolve`, 'Check the host name.');
  if (code === '28P01' || code === '28000')
    return say(
      `it refused the login of user "${t.user}" (${msg})`,
      'Check the user and password in the URL, and pg_hba.conf on the server.',
    );
  if (code === '3D000')
    return say(
      `the database "${t.database}" does not exist`,
      `Create it (createdb ${t.database}) or fix its name in the URL.`,
    );
  if (code === '42501')
    return say(
      `user "${t.user}" may not create deckhand's tables (${msg})`,
      'Grant it CREATE on the database, or use its owner.',
    );
  if (/timeout/i.test(msg) || code === 'ETIMEDOUT')
    return say('no answer in time', 'Check the host and port, and any firewall between deckhand and the database.');
  return say(msg.replace(/postgres(ql)?:\/\/[^\s]*/gi, '<url>'), 'Check that the database is up and reachable.');
}
