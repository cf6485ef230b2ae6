import path from 'node:path';
import { NotFoundError, DeckhandError } from '../errors.js';
import { SharedDocument } from '../store/document.js';
import type { ServerRecord } from './types.js';

interface InventoryDoc {
  version: 1;
  servers: ServerRecord[];
}

/** The registered servers and their pinned host keys, shared safely between deckhand processes. */
export class Inventory {
  private readonly doc: SharedDocument<InventoryDoc>;

  constructor(home: string) {
    this.doc = new SharedDocument<InventoryDoc>(
      path.join(home, 'inventory.json'),
      () => ({ version: 1, servers: [] }),
      (d) =>
        typeof d === 'object' && d !== null && Array.isArray((d as { servers?: unknown }).servers)
          ? undefined
          : 'expected an object with a "servers" list',
    );
  }

  async list(): Promise<ServerRecord[]> {
    const d = await this.doc.read();
    return [...d.servers].sort((a, b) => a.name.localeCompare(b.name));
  }

  async find(name: string): Promise<ServerRecord | undefined> {
    return (await this.doc.read()).servers.find((s) => s.name === name);
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

  async add(record: ServerRecord): Promise<ServerRecord> {
    return this.doc.update((d) => {
      if (d.servers.some((s) => s.name === record.name)) {
        throw new DeckhandError('server_exists', `A server named "${record.name}" is already registered.`, {
          hint: 'Pick another name, or remove the existing entry first with remove-server.',
        });
      }
      d.servers.push(record);
      return record;
    });
  }

  async remove(name: string): Promise<ServerRecord | undefined> {
    return this.doc.update((d) => {
      const i = d.servers.findIndex((s) => s.name === name);
      if (i < 0) return undefined;
      const [removed] = d.servers.splice(i, 1);
      return removed;
    });
  }
}
