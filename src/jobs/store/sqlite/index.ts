import { FileLogStore } from '../../log/file-store.js';
import type { InstanceRef, Stores } from '../contract.js';
import { SqlAuditStore } from '../audit-store.js';
import { SqlInstanceStore } from '../instance-store.js';
import { SqlJobStore } from '../job-store.js';
import { migrate } from '../migrate.js';
import { SqlSafetyStore } from '../safety-store.js';
import { SqlTemplateStore } from '../template-store.js';
import { SqliteBackend, type Gate } from './backend.js';
import { SqliteChangeSource } from './changes.js';
import { openSqlite, type SqliteOptions } from './database.js';
import { FileInventoryStore } from './inventory.js';
import { FileSecretStore } from './secrets.js';

export interface SqliteStoresOptions extends SqliteOptions {
  readonly home: string;
  readonly instance: InstanceRef;
  readonly agingMs?: number;
  /** How often other processes' changes are looked for while someone watches (default 100 ms). */
  readonly changesPollMs?: number;
  readonly onError?: (err: unknown, context: string) => void;
  /** Shared by stores opened on one file in ONE process (tests): their write transactions take turns. */
  readonly gate?: Gate;
}

/**
 * The embedded backend: jobs and instances in DECKHAND_HOME/deckhand.db (SQLite), logs and secrets as files beside
 * it, the inventory in inventory.json. Several deckhand processes on one home share it safely.
 */
export async function openSqliteStores(o: SqliteStoresOptions): Promise<Stores> {
  const { file, db } = openSqlite(o.home, o);
  const backend = new SqliteBackend(db, file, o.gate);
  try {
    await migrate(db, 'sqlite', file);
  } catch (err) {
    await backend.close();
    throw err;
  }
  const changes = new SqliteChangeSource({
    db,
    home: o.home,
    instanceId: o.instance.id,
    own: backend.own,
    ...(o.changesPollMs === undefined ? {} : { pollMs: o.changesPollMs }),
    onError: (err) => o.onError?.(err, 'change feed'),
  });
  const jobs = new SqlJobStore(backend, o.agingMs === undefined ? {} : { agingMs: o.agingMs });
  return {
    kind: 'sqlite',
    jobs,
    instances: new SqlInstanceStore(backend),
    changes,
    logs: new FileLogStore(o.home, jobs),
    secrets: new FileSecretStore(o.home),
    inventory: new FileInventoryStore(o.home),
    safety: new SqlSafetyStore(backend),
    templates: new SqlTemplateStore(backend),
    audit: new SqlAuditStore(backend),
    location: file,
    async close() {
      await changes.close();
      await backend.close();
    },
  };
}
