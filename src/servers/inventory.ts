import { NotFoundError } from '../errors.js';
import type { InventoryStore } from '../jobs/store/contract.js';
import { MAX_HOPS } from '../ssh/target.js';
import type { ServerRecord } from './types.js';

/**
 * The registered servers and their pinned host keys, as the rest of deckhand asks for them: by name, with a clear
 * error listing the known names. Kept in the job system's inventory store (inventory.json in embedded mode, a table
 * in PostgreSQL mode, so every instance sees the same servers).
 *
 * It also remembers the records it last read, so the SSH pool can follow a server's `via` names without a store
 * read of its own (`cached`, the pool's resolveVia): `get` reads the server's whole bastion chain fresh each time,
 * so the pool, which always connects to what `get` just answered, sees the chain as the store has it now.
 */
export class Inventory {
  private readonly known = new Map<string, ServerRecord>();

  constructor(private readonly store: InventoryStore<ServerRecord>) {}

  async list(): Promise<ServerRecord[]> {
    const all = (await this.store.list()).sort((a, b) => a.name.localeCompare(b.name));
    this.known.clear();
    for (const s of all) this.known.set(s.name, s);
    return all;
  }

  async find(name: string): Promise<ServerRecord | undefined> {
    const found = await this.store.find(name);
    this.remember(name, found);
    return found;
  }

  /** Resolves a name or fails with the list of known names, so the caller knows what to try. */
  async get(name: string): Promise<ServerRecord> {
    const found = await this.find(name);
    if (found) {
      await this.loadChain(found);
      return found;
    }
    const names = (await this.list()).map((s) => s.name);
    throw new NotFoundError(
      'unknown_server',
      `No server named "${name}".`,
      names.length
        ? `Known servers: ${names.join(', ')}. Use one of them, or register it with add-server.`
        : 'No servers are registered yet: register one with add-server (or create one with create-server).',
    );
  }

  /** The record as last read (get() loads a server's bastions too): what the pool's resolveVia answers. */
  cached(name: string): ServerRecord | undefined {
    return this.known.get(name);
  }

  /** Fails with `server_exists` when the name is taken. */
  async add(record: ServerRecord): Promise<ServerRecord> {
    const added = await this.store.add(record);
    this.known.set(added.name, added);
    return added;
  }

  async update(name: string, change: (r: ServerRecord) => ServerRecord): Promise<ServerRecord | undefined> {
    const next = await this.store.update(name, change);
    if (next) {
      this.known.delete(name);
      this.known.set(next.name, next);
    }
    return next;
  }

  async remove(name: string): Promise<ServerRecord | undefined> {
    this.known.delete(name);
    return this.store.remove(name);
  }

  /** Reads the bastions in front of a server (a missing one is left for the pool to report as bastion_unknown). */
  private async loadChain(server: ServerRecord): Promise<void> {
    let via = server.via;
    // One past MAX_HOPS, so the pool sees the over-long chain and refuses it by name.
    for (let hops = 0; via && hops <= MAX_HOPS; hops++) via = (await this.find(via))?.via;
  }

  private remember(name: string, r: ServerRecord | undefined): void {
    if (r) this.known.set(name, r);
    else this.known.delete(name);
  }
}
