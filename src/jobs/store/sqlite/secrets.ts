import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../../../errors.js';
import type { SecretStore } from '../contract.js';

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/**
 * Secrets as files (0600) under DECKHAND_HOME/secrets, one per key ("deploy/web-1/DB_PASSWORD" is the file
 * secrets/deploy/web-1/DB_PASSWORD). Files rather than a table of deckhand.db: a deleted secret is gone from disk,
 * not left in free pages or the WAL, and a copy of the database (a backup, a bug report) carries no secret.
 * Each write is atomic (temp file, fsync, rename, fsync of the directory).
 */
export class FileSecretStore implements SecretStore {
  private readonly root: string;

  constructor(home: string) {
    this.root = path.join(home, 'secrets');
  }

  /** Keys reach paths: only plain segments separated by '/' are accepted (no '..', no absolute paths). */
  private file(key: string): string {
    const parts = key.split('/');
    if (!parts.every((p) => SEGMENT.test(p) && !p.endsWith('.tmp')))
      throw new ValidationError(
        `Invalid secret key ${JSON.stringify(key)}.`,
        'Use names of letters, digits, ".", "_" and "-", separated by "/".',
      );
    return path.join(this.root, ...parts);
  }

  async get(key: string): Promise<string | undefined> {
    try {
      return await fs.promises.readFile(this.file(key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async put(key: string, value: string): Promise<void> {
    const file = this.file(key);
    const dir = path.dirname(file);
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    try {
      const fh = await fs.promises.open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(value, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.promises.rename(tmp, file);
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
    await syncDir(dir);
  }

  async putIfAbsent(key: string, value: string): Promise<string> {
    const file = this.file(key);
    await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    // A name of its own per call: racing callers of one process must not share a temp file.
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`;
    try {
      const fh = await fs.promises.open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(value, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      // link fails when the name exists: the first value linked into place stays, whole.
      await fs.promises.link(tmp, file).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
    } finally {
      await fs.promises.rm(tmp, { force: true });
    }
    await syncDir(path.dirname(file));
    return (await this.get(key)) ?? value;
  }

  async delete(key: string): Promise<void> {
    const file = this.file(key);
    await fs.promises.rm(file, { force: true });
    await syncDir(path.dirname(file));
  }

  async keys(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (e.name.endsWith('.tmp')) continue;
        const key = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) await walk(path.join(dir, e.name), key);
        else if (key.startsWith(prefix)) out.push(key);
      }
    };
    await walk(this.root, '');
    return out.sort();
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await fs.promises.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
