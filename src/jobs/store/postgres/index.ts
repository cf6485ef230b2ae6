import { Kysely, PostgresDialect, sql } from '../kysely.js';
import type { InstanceRef, Stores } from '../contract.js';
import { SqlAuditStore } from '../audit-store.js';
import { SqlInstanceStore } from '../instance-store.js';
import { SqlJobStore } from '../job-store.js';
import { migrate } from '../migrate.js';
import { SqlSafetyStore } from '../safety-store.js';
import { SqlTemplateStore } from '../template-store.js';
import type { Database } from '../schema.js';
import { PostgresBackend } from './backend.js';
import { PgChangeSource } from './changes.js';
import { clientConfig, createPool, describeUrl, startupError, type PoolOptions } from './connection.js';
import { PgInventoryStore } from './inventory.js';
import { PgLogStore } from './log-store.js';
import { parseSecretKey } from './secret-key.js';
import { PgSecretStore } from './secrets.js';

export interface PostgresStoresOptions extends PoolOptions {
  /** DECKHAND_DATABASE_URL */
  readonly url: string;
  /** DECKHAND_SECRET_KEY (required: secrets are sealed with it). */
  readonly secretKey: string | undefined;
  readonly instance: InstanceRef;
  readonly agingMs?: number;
  readonly onError?: (err: unknown, context: string) => void;
}

/**
 * The shared backend: jobs, instances, logs, secrets and the inventory in one PostgreSQL database that several
 * deckhand instances use at once, with wake-ups through LISTEN/NOTIFY. Refuses to start without a valid secret key,
 * and answers a wrong or unreachable URL with what was tried and what to check.
 */
export async function openPostgresStores(o: PostgresStoresOptions): Promise<Stores> {
  const target = describeUrl(o.url);
  const key = parseSecretKey(o.secretKey);
  const pool = createPool(o.url, o, (err) => o.onError?.(err, 'postgres pool'));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const backend = new PostgresBackend(db, target, o.instance.id);
  const secrets = new PgSecretStore(backend, key);
  try {
    try {
      await sql`select 1`.execute(db);
    } catch (err) {
      throw startupError(err, target);
    }
    await migrate(db, 'postgres', target.location);
    await secrets.verifyKey();
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw err;
  }
  const changes = new PgChangeSource({
    db,
    client: clientConfig(o.url, o),
    instanceId: o.instance.id,
    onError: (err) => o.onError?.(err, 'postgres notifications'),
  });
  return {
    kind: 'postgres',
    jobs: new SqlJobStore(backend, o.agingMs === undefined ? {} : { agingMs: o.agingMs }),
    instances: new SqlInstanceStore(backend),
    changes,
    logs: new PgLogStore(backend),
    secrets,
    inventory: new PgInventoryStore(backend),
    safety: new SqlSafetyStore(backend),
    templates: new SqlTemplateStore(backend),
    audit: new SqlAuditStore(backend),
    location: target.location,
    async close() {
      await changes.close();
      await backend.close();
    },
  };
}
