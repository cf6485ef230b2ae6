import type { InstanceRef, Stores } from './contract.js';

/** What picks and tunes the backend; parsed from the environment at the edge (config.ts). */
export interface StoreConfig {
  readonly home: string;
  /** DECKHAND_DATABASE_URL: PostgreSQL mode when set, the embedded SQLite mode otherwise. */
  readonly databaseUrl?: string | undefined;
  /** DECKHAND_SECRET_KEY: required in PostgreSQL mode. */
  readonly secretKey?: string | undefined;
  /** A queued job's priority improves by one per this many ms waited (default 2 minutes). */
  readonly agingMs?: number | undefined;
}

export interface OpenStoresOptions {
  readonly instance: InstanceRef;
  readonly onError?: (err: unknown, context: string) => void;
}

/**
 * Opens the stores of the configured backend, its migrations run: PostgreSQL when a database URL is set, SQLite in
 * DECKHAND_HOME otherwise. Start-up errors are DeckhandErrors that say what was wrong and what to do.
 */
export async function openStores(config: StoreConfig, o: OpenStoresOptions): Promise<Stores> {
  const common = {
    instance: o.instance,
    ...(config.agingMs === undefined ? {} : { agingMs: config.agingMs }),
    ...(o.onError ? { onError: o.onError } : {}),
  };
  // Each backend (and its driver) loads only when chosen: the embedded mode never loads pg, and the reverse.
  if (config.databaseUrl) {
    const { openPostgresStores } = await import('./postgres/index.js');
    return openPostgresStores({ url: config.databaseUrl, secretKey: config.secretKey, ...common });
  }
  const { openSqliteStores } = await import('./sqlite/index.js');
  return openSqliteStores({ home: config.home, ...common });
}
