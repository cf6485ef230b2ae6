import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Adapter } from 'lowdb';
import { DeckhandError } from '../errors.js';
import { isAlive } from './lock-identity.js';

/** What tells two versions of a file apart: every write renames a new inode into place. */
export interface FileStamp {
  readonly ino: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly size: number;
}

export function stampOf(st: FileStamp): FileStamp {
  return { ino: st.ino, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, size: st.size };
}

export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.size === b.size;
}

let tmpSeq = 0;

/**
 * A JSON file adapter for lowdb that writes atomically with fsync and 0600 permissions.
 * We never use JSONFilePreset: it silently switches to memory under NODE_ENV=test.
 */
export class AtomicJsonFile<T> implements Adapter<T> {
  private sweptTemps = false;

  constructor(
    private readonly file: string,
    /** Says what is wrong with parsed data that is not a T, or undefined when it is fine. */
    private readonly check: (data: unknown) => string | undefined = () => undefined,
    /** Indentation of the written JSON: 0 writes it compact. */
    private readonly indent = 1,
  ) {}

  async read(): Promise<T | null> {
    return (await this.readStamped())?.data ?? null;
  }

  /**
   * The data with the stamp of the very file it was read from (one descriptor for both), so a cache keyed by the
   * stamp never pairs it with another version's data. Null when the file is missing or empty.
   */
  async readStamped(): Promise<{ stamp: FileStamp; data: T } | null> {
    let fh;
    try {
      fh = await fs.open(this.file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    let text: string;
    let stamp: FileStamp;
    try {
      stamp = stampOf(await fh.stat());
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
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
    return { stamp, data: data as T };
  }

  async write(data: T): Promise<void> {
    await this.writeStamped(data);
  }

  /**
   * Writes a temp file (fsynced, 0600) and renames it into place. Answers the stamp of the file now in place when
   * it is ours, or undefined when another inode is already there (a writer that broke our lock as stale).
   */
  async writeStamped(data: T): Promise<FileStamp | undefined> {
    const text = JSON.stringify(data, null, this.indent || undefined) + '\n';
    if (!this.sweptTemps) {
      this.sweptTemps = true;
      this.removeDeadWritersTemps();
    }
    const tmp = `${this.file}.${process.pid}.${++tmpSeq}.tmp`;
    // Synchronous on purpose: a write is a few small syscalls and an fsync (~1 ms together), and every store write
    // is on the path of a command; eight thread-pool round trips cost more than that on a busy machine.
    let ino: number;
    try {
      const fd = fsSync.openSync(tmp, 'wx', 0o600);
      try {
        fsSync.fchmodSync(fd, 0o600);
        fsSync.writeFileSync(fd, text);
        fsSync.fsyncSync(fd);
        ino = fsSync.fstatSync(fd).ino;
      } finally {
        fsSync.closeSync(fd);
      }
      fsSync.renameSync(tmp, this.file);
    } catch (err) {
      fsSync.rmSync(tmp, { force: true });
      throw err;
    }
    const st = fsSync.statSync(this.file);
    return st.ino === ino ? stampOf(st) : undefined;
  }

  /**
   * A writer killed between creating its temp file and renaming it leaves the file behind. Callers write under the
   * document's lock, so no other writer is mid-write now: a temp file whose process is gone is garbage.
   */
  private removeDeadWritersTemps(): void {
    const dir = path.dirname(this.file);
    const prefix = `${path.basename(this.file)}.`;
    let names: string[];
    try {
      names = fsSync.readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
      const pid = Number(name.slice(prefix.length).split('.')[0]);
      if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) continue;
      fsSync.rmSync(path.join(dir, name), { force: true });
    }
  }
}
