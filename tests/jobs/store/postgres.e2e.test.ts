import { afterAll, beforeAll } from 'vitest';
import type { Stores } from '../../../src/jobs/store/contract.js';
import { openPostgresStores } from '../../../src/jobs/store/postgres/index.js';
import { startPostgres, type PgCluster } from '../../helpers/postgres.js';
import { storeContract } from './contract.suite.js';

export const SECRET_KEY = 'q83vEjxZzvWb7dQwq9R3kq9rQk8sYdN0m3Yl2rJ6l1Q=';

let pg: PgCluster;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

storeContract({
  kind: 'postgres',
  async fresh() {
    const url = await pg.createDatabase();
    const opened: Stores[] = [];
    return {
      async open(instance, opts) {
        const s = await openPostgresStores({ url, secretKey: SECRET_KEY, instance, ...opts });
        opened.push(s);
        return s;
      },
      async cleanup() {
        for (const s of opened) await s.close();
      },
    };
  },
});
