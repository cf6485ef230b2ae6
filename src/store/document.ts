import fs from 'node:fs/promises';
import path from 'node:path';
import { Low, type Adapter } from 'lowdb';
import lockfile from 'proper-lockfile';
import writeFileAtomic from 'write-file-atomic';
import { DeckhandError } from '../errors.js';

/**
 * A JSON file adapter for lowdb that writes atomically with fsync and 0600 permissions.
 * We never use JSONFilePreset: it silently switches to memory under NODE_ENV=test.
 */
export class AtomicJsonFile<T> implements Adapter<T> {
  constructor(private readonly file: string) {}

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    if (text.trim() === '') return null;
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      // Refuse to continue rather than overwrite a file we cannot read: never lose data.
      throw new DeckhandError('store_corrupt', `The data file ${this.file} is not valid JSON.`, {
        hint: 'Restore it from a backup or move it aside; deckhand will not overwrite it.',
        cause,
      });
    }
  }

  async write(data: T): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify(data, null, 1) + '\n', { mode: 0o600, fsync: true });
  }
}

/**
 * A JSON document shared by several deckhand processes (each MCP client starts its own).
 * Every change takes a cross-process lock, re-reads the file, applies the change and writes it back,
 * so two processes never lose each other's writes.
 */
export class SharedDocument<T extends object> {
  private readonly db: Low<T>;
  private cache: { mtimeMs: number; size: number; data: T } | undefined;

  constructor(
    private readonly file: string,
    private readonly defaults: () => T,
  ) {
    this.db = new Low<T>(new AtomicJsonFile<T>(file), defaults());
  }

  get path(): string {
    return this.file;
  }

  /** A fresh view of the document; cached by mtime+size so frequent readers stay cheap. */
  async read(): Promise<T> {
    let st;
    try {
      st = await fs.stat(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.defaults();
      throw err;
    }
    if (this.cache && this.cache.mtimeMs === st.mtimeMs && this.cache.size === st.size) return this.cache.data;
    await this.db.read();
    const data = (this.db.data ?? this.defaults()) as T;
    this.cache = { mtimeMs: st.mtimeMs, size: st.size, data };
    return data;
  }

  /** Applies `change` under the lock. The change may mutate the draft and return a value. */
  async update<R>(change: (draft: T) => R): Promise<R> {
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const release = await lockfile.lock(this.file, {
      realpath: false,
      stale: 10_000,
      update: 2_000,
      retries: { retries: 200, minTimeout: 2, maxTimeout: 50, factor: 1.3 },
      onCompromised: () => {
        // Another process took over a lock we held for too long; our write already happened or will be retried by the caller.
      },
    });
    try {
      await this.db.read();
      const draft = (this.db.data ?? this.defaults()) as T;
      this.db.data = draft;
      const result = change(draft);
      await this.db.write();
      this.cache = undefined;
      return result;
    } finally {
      await release().catch(() => undefined);
    }
  }
}
