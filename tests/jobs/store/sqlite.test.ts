import fs from 'node:fs';
import { afterAll } from 'vitest';
import { Gate } from '../../../src/jobs/store/sqlite/backend.js';
import { openSqliteStores } from '../../../src/jobs/store/sqlite/index.js';
import type { Stores } from '../../../src/jobs/store/contract.js';
import { migratedHomes } from '../../helpers/sqlite-home.js';
import { storeContract } from './contract.suite.js';

const homes = migratedHomes();
afterAll(() => homes.cleanup());

storeContract({
  kind: 'sqlite',
  async fresh() {
    const home = await homes.fresh();
    const opened: Stores[] = [];
    // Several stores on one file in this one process take turns to write (see Gate); real processes are tested
    // in sqlite-processes.test.ts.
    const gate = new Gate();
    return {
      async open(instance, opts) {
        const s = await openSqliteStores({ home, instance, gate, changesPollMs: 50, ...opts });
        opened.push(s);
        return s;
      },
      async cleanup() {
        for (const s of opened) await s.close();
        fs.rmSync(home, { recursive: true, force: true });
      },
    };
  },
});
