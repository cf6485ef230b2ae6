import { NotFoundError } from '../errors.js';
import type { InventoryStore } from '../jobs/store/contract.js';
import type { ServerRecord } from './types.js';

/**
 * The registered servers and their pinned host keys, as the rest of deckhand asks for them: by name, with a clear
 * error listing the known names. Kept in the job system's inventory store (inventory.json in embedded mode, a table
 * in PostgreSQL mode, so every instance sees the same servers).
 */
export class Inventory {
  constructor(private readonly store: InventoryStore<ServerRecord>) {}

  async list(): Promise<ServerRecord[]> {
    return (await this.store.list()).sort((a, b) => a.name.localeCompare(b.name));
  }

  find(name: string): Promise<ServerRecord | undefined> {
    return this.store.find(name);
  }

  /** Resolves a name or fails with the list of known names, so the caller knows what to try. */
  async get(name: string): Promise<ServerRecord> {
    const found = await this.find(name);
    if (found) return found;
    const names = (await this.list()).map((s) => s.name);
    throw new NotFoundError(
      'unknown_server',
      `No server named "${name}".`,
      names.length
        ? `Known servers: ${names.join(', ')}. Use one of them, or register it with add-server.`
        : 'No servers are registered yet: register one with add-server (or create one with create-server).',
    );
  }

  /** Fails with `server_exists` when the name is taken. */
  add(record: ServerRecord): Promise<ServerRecord> {
    return this.store.add(record);
  }

  update(name: string, change: (r: ServerRecord) => ServerRecord): Promise<ServerRecord | undefined> {
    return this.store.update(name, change);
  }

  remove(name: string): Promise<ServerRecord | undefined> {
    return this.store.remove(name);
  }
}
