import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Gate } from '../../../src/jobs/store/sqlite/backend.js';
import { openSqliteStores } from '../../../src/jobs/store/sqlite/index.js';
import type { Stores } from '../../../src/jobs/store/contract.js';
import { storeContract } from './contract.suite.js';

storeContract({
  kind: 'sqlite',
  async fresh() {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-sqlite-'));
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
