import fs from 'node:fs';
import path from 'node:path';
import { Low } from 'lowdb';
import lockfile from 'proper-lockfile';
import type { InventoryStore } from '../contract.js';
import { serverExists, storeUnavailable } from '../errors.js';
import { AtomicJsonFile } from './json-file.js';

interface InventoryDoc<R> {
  version: 1;
  servers: R[];
}

/** The document's shape, checked on every read: a hand edit that broke it is refused, never overwritten. */
function checkShape(d: unknown): string | undefined {
  if (typeof d !== 'object' || d === null || !Array.isArray((d as { servers?: unknown }).servers))
    return 'expected an object with a "servers" list';
  const servers = (d as { servers: unknown[] }).servers;
  const bad = servers.findIndex(
    (s) => typeof s !== 'object' || s === null || typeof (s as { name?: unknown }).name !== 'string',
  );
  if (bad >= 0) return `servers[${bad}] has no "name"`;
  const names = servers.map((s) => (s as { name: string }).name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  return dup === undefined ? undefined : `the name "${dup}" appears twice`;
}

/**
 * The registered servers in DECKHAND_HOME/inventory.json: a lowdb document, small, readable and hand-editable.
 * Each change holds a proper-lockfile lock (with retries) around read, change and atomic write, so deckhand
 * processes sharing the home never lose each other's changes; reads need no lock (the file is replaced whole).
 *
 * Within one process the changes queue up before they take the file lock. The lock is a directory that waiters
 * poll (backing off to every 250 ms, 40 times): left to it, a burst of changes from one process (40 add-servers at
 * once, an ssh-config import) has all but one of them polling, and whichever poll lands first after a release wins,
 * so an unlucky change could poll out its retries while the others went through and fail as "held by another
 * process" though no other process existed. Queued, each change of this process meets the lock free unless
 * another process holds it, and the retries only ever wait for other processes.
 */
export class FileInventoryStore<R extends { readonly name: string }> implements InventoryStore<R> {
  private readonly file: string;
  private readonly adapter: AtomicJsonFile<InventoryDoc<R>>;
  /** The end of this instance's queue of changes: each waits for the one before (never rejects). */
  private queue: Promise<void> = Promise.resolve();

  constructor(home: string) {
    this.file = path.join(home, 'inventory.json');
    this.adapter = new AtomicJsonFile(this.file, checkShape);
  }

  /** A Low per call: concurrent calls of this process never share (and so never clobber) one another's data. */
  private async load(): Promise<Low<InventoryDoc<R>>> {
    const low = new Low<InventoryDoc<R>>(this.adapter, { version: 1, servers: [] });
    await low.read();
    return low;
  }

  /** `fn` answers its result and whether it changed the document (nothing is written otherwise). */
  private change<T>(fn: (d: InventoryDoc<R>) => [T, boolean]): Promise<T> {
    const run = this.queue.then(() => this.changeLocked(fn));
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async changeLocked<T>(fn: (d: InventoryDoc<R>) => [T, boolean]): Promise<T> {
    let release: () => Promise<void>;
    // The lock lives beside the file: its directory must exist before the first change.
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    try {
      release = await lockfile.lock(this.file, {
        realpath: false,
        stale: 10_000,
        // Polls every 25 ms at first, then every 100-200 ms (randomised, so waiters do not poll in step), for about
        // a minute. A process making many changes in a row takes the lock again within a millisecond of releasing
        // it, so another process's poll rarely lands in the gap and waits until that burst ends: the budget must
        // outlast a burst (100 adds took 7.7 s under load), not a single change as the old 40 polls (7 s) did.
        retries: { retries: 400, factor: 1.2, minTimeout: 25, maxTimeout: 100, randomize: true },
      });
    } catch (err) {
      const held = (err as NodeJS.ErrnoException).code === 'ELOCKED';
      throw storeUnavailable(this.file, held ? 'another deckhand process holds its lock' : String(err), err);
    }
    try {
      const low = await this.load();
      const [out, dirty] = fn(low.data);
      if (dirty) await low.write();
      return out;
    } finally {
      await release().catch(() => undefined);
    }
  }

  async list(): Promise<R[]> {
    return [...(await this.load()).data.servers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async find(name: string): Promise<R | undefined> {
    return (await this.load()).data.servers.find((s) => s.name === name);
  }

  add(record: R): Promise<R> {
    return this.change((d) => {
      if (d.servers.some((s) => s.name === record.name)) throw serverExists(record.name);
      d.servers.push(record);
      return [record, true];
    });
  }

  update(name: string, change: (record: R) => R): Promise<R | undefined> {
    return this.change((d) => {
      const i = d.servers.findIndex((s) => s.name === name);
      if (i < 0) return [undefined, false];
      const next = change(structuredClone(d.servers[i] as R));
      if (next.name !== name && d.servers.some((s) => s.name === next.name)) throw serverExists(next.name);
      d.servers[i] = next;
      return [next, true];
    });
  }

  remove(name: string): Promise<R | undefined> {
    return this.change((d) => {
      const i = d.servers.findIndex((s) => s.name === name);
      if (i < 0) return [undefined, false];
      return [d.servers.splice(i, 1)[0], true];
    });
  }
}
