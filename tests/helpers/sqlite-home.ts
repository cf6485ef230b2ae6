import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStores } from '../../src/jobs/store/sqlite/index.js';

/**
 * Fresh DECKHAND_HOMEs with the SQLite database already migrated: the migrations run once, into a template, and
 * each home gets a copy of its file. Migrating a new database takes a few hundred ms on a busy machine (a dozen
 * fsynced commits), which a store test opening a fresh store per test paid every time; the migrations themselves
 * still run here (and opening the copy runs the migrator, which finds nothing to do).
 */
export interface MigratedHomes {
  fresh(): Promise<string>;
  cleanup(): void;
}

export function migratedHomes(): MigratedHomes {
  let template: Promise<string> | undefined;
  const made: string[] = [];
  const build = async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-sqlite-template-'));
    made.push(dir);
    const stores = await openSqliteStores({ home: dir, instance: { id: 'inst_template', host: 'template', pid: 0 } });
    // Closing checkpoints the WAL into the database file: the file alone is the whole database.
    await stores.close();
    const wal = path.join(dir, 'deckhand.db-wal');
    if (fs.existsSync(wal) && fs.statSync(wal).size > 0) throw new Error('the template database kept a WAL file');
    return path.join(dir, 'deckhand.db');
  };
  return {
    async fresh() {
      template ??= build();
      const file = await template;
      const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-sqlite-'));
      made.push(home);
      fs.copyFileSync(file, path.join(home, 'deckhand.db'));
      fs.chmodSync(path.join(home, 'deckhand.db'), 0o600);
      return home;
    },
    cleanup() {
      for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}
