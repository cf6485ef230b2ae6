import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { AtomicJsonFile, sameStamp, type FileStamp } from './atomic-json-file.js';
import { isAlive, isSameLock, lockIdentity } from './lock-identity.js';

// The adapter lived here first; its users import it from here.
export { AtomicJsonFile, type FileStamp } from './atomic-json-file.js';

interface Pending<T> {
  readonly change: (draft: T) => unknown;
  readonly resolve: (v: unknown) => void;
  readonly reject: (err: unknown) => void;
}

export interface DocumentOptions<T> {
  /** Says what is wrong with parsed data that is not a T, or undefined when it is fine. */
  readonly check?: ((data: unknown) => string | undefined) | undefined;
  /** Indentation of the written JSON (default 1); 0 writes it compact. */
  readonly indent?: number | undefined;
  /**
   * A copy of the cached data that update's change may mutate while the cache stays as the file holds it.
   * Defaults to a deep copy; a document whose changes replace parts rather than mutate them can copy less.
   */
  readonly draft?: ((data: T) => T) | undefined;
  /** The clock the lock's waits are measured by (default Date.now): tests move it instead of waiting seconds. */
  readonly now?: (() => number) | undefined;
  /**
   * Told each time a waiter looked at the lock's holder and left the lock alone: the holder lives ('alive'), is on
   * another host ('other-host'), or has not recorded itself yet and the lock is too young to judge ('fresh').
   */
  readonly onHolderKept?: ((why: HolderKept) => void) | undefined;
}

export type HolderKept = 'alive' | 'other-host' | 'fresh';

/**
 * A JSON document shared by several deckhand processes (each MCP client starts its own).
 * Every change takes a cross-process lock, re-reads the file, applies the change and writes it back,
 * so two processes never lose each other's writes. "Re-reads" is a stat when the file is still the version this
 * process last wrote or read: parsing it again would cost as much as the write on a large document.
 */
export class SharedDocument<T extends object> {
  private readonly adapter: AtomicJsonFile<T>;
  private readonly draft: (data: T) => T;
  private readonly now: () => number;
  private readonly onHolderKept: (why: HolderKept) => void;
  /** Always data exactly as the file with this stamp holds it: never a draft, never a write that may have failed. */
  private cache: { stamp: FileStamp; data: T } | undefined;
  /** Updates of this process, one batch at a time: they would otherwise poll for the lock file each other holds. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Updates waiting for the batch being written: they go out together in the next one. */
  private pending: Pending<T>[] | undefined;

  constructor(
    private readonly file: string,
    private readonly defaults: () => T,
    checkOrOptions?: ((data: unknown) => string | undefined) | DocumentOptions<T>,
  ) {
    const o: DocumentOptions<T> =
      typeof checkOrOptions === 'function' ? { check: checkOrOptions } : (checkOrOptions ?? {});
    this.adapter = new AtomicJsonFile<T>(file, o.check, o.indent ?? 1);
    this.draft = o.draft ?? ((d) => structuredClone(d));
    this.now = o.now ?? Date.now;
    this.onHolderKept = o.onHolderKept ?? (() => undefined);
  }

  get path(): string {
    return this.file;
  }

  /** A fresh view of the document; cached by inode, times and size so frequent readers stay cheap. */
  async read(): Promise<T> {
    return (await this.current()) ?? this.defaults();
  }

  /** The file's data, parsed again only when its stamp differs from the cached one's; undefined when it is missing. */
  private async current(): Promise<T | undefined> {
    let st;
    try {
      st = await fs.stat(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    // Every write renames a new file into place, so the inode tells writes apart even where mtime is coarse
    // and a re-pin leaves the size unchanged.
    if (this.cache && sameStamp(this.cache.stamp, st)) return this.cache.data;
    const got = await this.adapter.readStamped();
    if (!got) return undefined;
    this.cache = got;
    return got.data;
  }

  /**
   * Applies `change` under the lock. The change may mutate the draft and return a value.
   * Updates that arrive while another is being written are applied together and written once (group commit):
   * each still sees the document with every earlier change, and a change that throws is left out, alone.
   */
  update<R>(change: (draft: T) => R): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (!this.pending) {
        const batch: Pending<T>[] = [];
        this.pending = batch;
        const run = this.queue.then(() => this.commit(batch));
        this.queue = run.catch(() => undefined);
      }
      this.pending.push({ change, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  private async commit(batch: Pending<T>[]): Promise<void> {
    // Later updates start the next batch, written after this one.
    if (this.pending === batch) this.pending = undefined;
    // Settled once the lock is released, so a caller that goes on finds it free.
    const settle: (() => void)[] = [];
    try {
      await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const release = await this.lock();
      try {
        // Under the lock the file cannot change, so a cached copy with the file's stamp is the file: no re-parse.
        // Each change works on a copy of the document as the ones before it left it, so a throwing change leaves
        // no trace, and neither it nor a failed write leaves the cache half-changed; readers meanwhile see the file.
        let data = (await this.current()) ?? this.defaults();
        const applied: { p: Pending<T>; result: unknown }[] = [];
        for (const p of batch) {
          const draft = this.draft(data);
          try {
            applied.push({ p, result: p.change(draft) });
            data = draft;
          } catch (err) {
            settle.push(() => p.reject(err));
          }
        }
        if (applied.length > 0) {
          try {
            const stamp = await this.adapter.writeStamped(data);
            if (stamp) this.cache = { stamp, data };
            for (const a of applied) settle.push(() => a.p.resolve(a.result));
          } catch (err) {
            for (const a of applied) settle.push(() => a.p.reject(err));
          }
        }
      } finally {
        try {
          fsSync.rmSync(this.ownerFile, { force: true });
        } catch {
          // The next holder overwrites it; a stale record never matches another lock's inode.
        }
        await release().catch(() => undefined);
      }
    } catch (err) {
      // The lock could not be taken: every update of the batch fails with that.
      for (const p of batch) p.reject(err);
      return;
    }
    for (const s of settle) s();
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
    const deadline = this.now() + 15_000;
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
        if ((err as NodeJS.ErrnoException).code !== 'ELOCKED' || this.now() > deadline) throw err;
      }
      if (this.now() - checked > 200) {
        checked = this.now();
        await this.breakDeadHolder();
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(50, Math.ceil(delay * 1.3));
    }
  }

  /** Written whole (temp file + rename): a holder killed while writing it must not leave an unreadable record. */
  private async recordOwner(): Promise<void> {
    // Synchronous for the same reason as the document write: tiny, and on every command's path.
    const id = lockIdentity(fsSync.statSync(`${this.file}.lock`));
    const tmp = `${this.ownerFile}.${process.pid}.tmp`;
    fsSync.writeFileSync(tmp, JSON.stringify({ pid: process.pid, host: os.hostname(), ...id }), { mode: 0o600 });
    fsSync.renameSync(tmp, this.ownerFile);
    return Promise.resolve();
  }

  private async breakDeadHolder(): Promise<void> {
    const lockDir = `${this.file}.lock`;
    let st;
    try {
      st = await fs.stat(lockDir);
    } catch {
      return; // released meanwhile
    }
    let owner: { pid: number; host: string; ino?: number; birth?: number } | undefined;
    try {
      owner = JSON.parse(await fs.readFile(this.ownerFile, 'utf8')) as typeof owner;
    } catch {
      owner = undefined;
    }
    if (owner && isSameLock(owner, st)) {
      if (owner.host !== os.hostname()) return this.onHolderKept('other-host');
      if (owner.pid === process.pid || isAlive(owner.pid)) return this.onHolderKept('alive');
    } else if (this.now() - st.mtimeMs < 3_000) {
      // No record for this lock yet: a live holder writes it within milliseconds of taking the lock (and one that
      // died before it did is replaced once the lock is a few seconds old).
      return this.onHolderKept('fresh');
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
    if (moved && (!isSameLock(lockIdentity(st), moved) || moved.mtimeMs !== st.mtimeMs)) {
      await fs.rename(aside, lockDir).catch(() => undefined);
      return;
    }
    // The dead holder's record goes with its lock, so it can never be read as the record of the next one.
    await fs.rm(this.ownerFile, { force: true }).catch(() => undefined);
    await fs.rm(aside, { recursive: true, force: true });
  }
}
