import fs from 'node:fs/promises';
import os from 'node:os';
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
  constructor(
    private readonly file: string,
    /** Says what is wrong with parsed data that is not a T, or undefined when it is fine. */
    private readonly check: (data: unknown) => string | undefined = () => undefined,
  ) {}

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    if (text.trim() === '') return null;
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (cause) {
      // Refuse to continue rather than overwrite a file we cannot read: never lose data.
      throw new DeckhandError('store_corrupt', `The data file ${this.file} is not valid JSON.`, {
        hint: 'Restore it from a backup or move it aside; deckhand will not overwrite it.',
        cause,
      });
    }
    // Valid JSON of the wrong shape (a hand edit) is refused the same way, instead of failing later with a TypeError.
    const problem = this.check(data);
    if (problem !== undefined) {
      throw new DeckhandError('store_corrupt', `The data file ${this.file} is not a deckhand document: ${problem}.`, {
        hint: 'Restore it from a backup or move it aside; deckhand will not overwrite it.',
      });
    }
    return data as T;
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
  private readonly adapter: AtomicJsonFile<T>;
  private cache: { ino: number; mtimeMs: number; ctimeMs: number; size: number; data: T } | undefined;

  constructor(
    private readonly file: string,
    private readonly defaults: () => T,
    check?: (data: unknown) => string | undefined,
  ) {
    this.adapter = new AtomicJsonFile<T>(file, check);
  }

  get path(): string {
    return this.file;
  }

  /** A fresh view of the document; cached by inode, times and size so frequent readers stay cheap. */
  async read(): Promise<T> {
    let st;
    try {
      st = await fs.stat(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.defaults();
      throw err;
    }
    // Every write renames a new file into place, so the inode tells writes apart even where mtime is coarse
    // and a re-pin leaves the size unchanged.
    const key = { ino: st.ino, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, size: st.size };
    const c = this.cache;
    if (c && c.ino === key.ino && c.mtimeMs === key.mtimeMs && c.ctimeMs === key.ctimeMs && c.size === key.size) {
      return c.data;
    }
    const { data } = await this.load();
    this.cache = { ...key, data };
    return data;
  }

  /**
   * The document as the file holds it now, in a lowdb instance of its own: a shared one would let concurrent
   * reads and updates swap each other's `data`, and lowdb's read() keeps the previous data when the file is
   * missing, which would write servers back into a file the user moved aside.
   */
  private async load(): Promise<Low<T>> {
    const db = new Low<T>(this.adapter, this.defaults());
    await db.read();
    return db;
  }

  /** Applies `change` under the lock. The change may mutate the draft and return a value. */
  async update<R>(change: (draft: T) => R): Promise<R> {
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const release = await this.lock();
    try {
      const db = await this.load();
      const result = change(db.data);
      await db.write();
      this.cache = undefined;
      return result;
    } finally {
      await fs.rm(this.ownerFile, { force: true }).catch(() => undefined);
      await release().catch(() => undefined);
    }
  }

  private get ownerFile(): string {
    return `${this.file}.lock-owner`;
  }

  /**
   * The cross-process lock, with its holder recorded beside it. A holder killed mid-write (SIGKILL) leaves the lock
   * behind; waiting for it to go stale took longer than the retries last, so every write failed with ELOCKED for
   * ~10 s. A holder that is provably dead on this host is replaced at once instead.
   */
  private async lock(): Promise<() => Promise<void>> {
    const options = {
      realpath: false,
      stale: 10_000,
      update: 2_000,
      retries: 0,
      onCompromised: () => {
        // Another process took over a lock we held for too long; our write already happened or will be retried by the caller.
      },
    };
    // Longer than `stale`, so a lock whose holder cannot be proven dead (another host) is still taken over once stale.
    const deadline = Date.now() + 15_000;
    let delay = 2;
    let checked = 0;
    for (;;) {
      try {
        const release = await lockfile.lock(this.file, options);
        await this.recordOwner().catch(async (err: unknown) => {
          await release().catch(() => undefined);
          throw err;
        });
        return release;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ELOCKED' || Date.now() > deadline) throw err;
      }
      if (Date.now() - checked > 200) {
        checked = Date.now();
        await this.breakDeadHolder();
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(50, Math.ceil(delay * 1.3));
    }
  }

  /** Written whole (temp file + rename): a holder killed while writing it must not leave an unreadable record. */
  private async recordOwner(): Promise<void> {
    const ino = (await fs.stat(`${this.file}.lock`)).ino;
    const tmp = `${this.ownerFile}.${process.pid}.tmp`;
    await fs.writeFile(tmp, JSON.stringify({ pid: process.pid, host: os.hostname(), ino }), { mode: 0o600 });
    await fs.rename(tmp, this.ownerFile);
  }

  private async breakDeadHolder(): Promise<void> {
    const lockDir = `${this.file}.lock`;
    let st;
    try {
      st = await fs.stat(lockDir);
    } catch {
      return; // released meanwhile
    }
    let owner: { pid: number; host: string; ino: number } | undefined;
    try {
      owner = JSON.parse(await fs.readFile(this.ownerFile, 'utf8')) as typeof owner;
    } catch {
      owner = undefined;
    }
    if (owner?.ino === st.ino) {
      if (owner.host !== os.hostname() || owner.pid === process.pid || isAlive(owner.pid)) return;
    } else if (Date.now() - st.mtimeMs < 3_000) {
      // No record for this lock yet: a live holder writes it within milliseconds of taking the lock (and one that
      // died before it did is replaced once the lock is a few seconds old).
      return;
    }
    // Move the lock aside under a name of our own, so of several waiters only one removes it, then make sure it is
    // the lock we judged and not one a new holder took meanwhile (that one goes back).
    const aside = `${lockDir}.dead-${process.pid}-${Date.now()}`;
    try {
      await fs.rename(lockDir, aside);
    } catch {
      return;
    }
    const moved = await fs.stat(aside).catch(() => undefined);
    if (moved && (moved.ino !== st.ino || moved.mtimeMs !== st.mtimeMs)) {
      await fs.rename(aside, lockDir).catch(() => undefined);
      return;
    }
    await fs.rm(aside, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
