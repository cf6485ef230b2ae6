import fs from 'node:fs';
import path from 'node:path';
import type { Adapter } from 'lowdb';
import { DeckhandError } from '../../../errors.js';

/**
 * A lowdb adapter for a small hand-editable JSON file: written whole to a temp file (0600, fsynced), renamed into
 * place and the directory fsynced, so a crash or power loss leaves the old file or the new one, never half of one.
 * A file that is not valid JSON, or not of the expected shape, is refused rather than overwritten.
 * (lowdb's JSONFilePreset is not used: it silently keeps data in memory when NODE_ENV=test.)
 */
export class AtomicJsonFile<T> implements Adapter<T> {
  /**
   * The last document read, under the identity of the file it came from (inode, size, change and modification
   * times in ns): every remote-bash call reads the inventory, and a stat costs a fraction of open, read, close and
   * parse. A file replaced (rename) or edited in place has another identity. Handed out as copies: callers change
   * what they read.
   */
  private last: { readonly id: string; readonly data: T } | undefined;

  constructor(
    private readonly file: string,
    /** Says what is wrong with parsed data that is not a T, or undefined when it is fine. */
    private readonly check: (data: unknown) => string | undefined,
  ) {}

  async read(): Promise<T | null> {
    const id = identity(this.file);
    if (id === undefined) return null;
    if (this.last?.id === id) return structuredClone(this.last.data);
    let text: string;
    try {
      text = await fs.promises.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    if (text.trim() === '') return null;
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (cause) {
      throw corrupt(this.file, 'it is not valid JSON', cause);
    }
    const problem = this.check(data);
    if (problem !== undefined) throw corrupt(this.file, problem);
    // Read after the stat: should the file have changed between them, the next read sees another identity.
    this.last = { id, data: structuredClone(data as T) };
    return data as T;
  }

  async write(data: T): Promise<void> {
    this.last = undefined;
    const dir = path.dirname(this.file);
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      const fh = await fs.promises.open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(`${JSON.stringify(data, null, 2)}\n`, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.promises.rename(tmp, this.file);
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
    const dh = await fs.promises.open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }
}

function corrupt(file: string, problem: string, cause?: unknown): DeckhandError {
  return new DeckhandError('store_corrupt', `The file ${file} cannot be used: ${problem}.`, {
    hint: 'Fix the edit, restore it from a backup, or move it aside; deckhand will not overwrite it.',
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The file's identity for the read cache; undefined when there is no file. */
function identity(file: string): string | undefined {
  let st: fs.BigIntStats;
  try {
    st = fs.statSync(file, { bigint: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}
