import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stores } from '../../src/jobs/store/contract.js';
import { openPostgresStores } from '../../src/jobs/store/postgres/index.js';
import { tempHome } from '../helpers/home.js';
import { startPostgres, type PgCluster } from '../helpers/postgres.js';
import { allRuns, expectOncePerSlot, MIN, raceOverSlots, SLOTS, START } from './exactly-once.js';
import { fakeServer, templateInstance, type TemplateInstance } from './instance.js';

const SECRET_KEY = 'q83vEjxZzvWb7dQwq9R3kq9rQk8sYdN0m3Yl2rJ6l1Q=';

// Exactly once per slot across instances, PostgreSQL: two ScheduleLoops over two stores opened on one database
// (two instances, as on two machines), ticking at once over 200 slots.
describe('a schedule over two PostgreSQL instances', () => {
  let pg: PgCluster;
  const stores: Stores[] = [];
  const instances: TemplateInstance[] = [];
  const home = tempHome();
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    for (const i of instances) await i.close();
    for (const s of stores) await s.close();
    await pg?.stop();
    home.cleanup();
  });

  it('starts each of 200 slots exactly once', async () => {
    const url = await pg.createDatabase();
    const key = path.join(home.dir, 'client_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const clock = { t: START };
    const now = () => clock.t;
    const sa = await openPostgresStores({ url, secretKey: SECRET_KEY, instance: { id: 'inst-a', host: 'a', pid: 1 } });
    const sb = await openPostgresStores({ url, secretKey: SECRET_KEY, instance: { id: 'inst-b', host: 'b', pid: 2 } });
    stores.push(sa, sb);
    await sa.inventory.add(fakeServer('box', key));
    const a = templateInstance(sa, { home: home.dir, now });
    const b = templateInstance(sb, { home: home.dir, now });
    instances.push(a, b);
    const id = await raceOverSlots(a, b, clock);
    expectOncePerSlot(
      await allRuns(sb, id),
      id,
      Array.from({ length: SLOTS }, (_, i) => START + (i + 1) * MIN),
    );
    expect(a.counts.started + b.counts.started).toBe(SLOTS);
    expect(a.counts.started).toBeGreaterThan(0);
    expect(b.counts.started).toBeGreaterThan(0);
    console.log(
      `postgres: A started ${a.counts.started}, B ${b.counts.started}; lost the insert race ${a.counts.duplicates + b.counts.duplicates} times`,
    );
    expect([...a.errors, ...b.errors]).toEqual([]);
    expect(await sa.templates.scheduleEvents(id, 10)).toEqual([]);
    expect((await sb.templates.getById(id))!.schedule_state.cursor).toBe(START + SLOTS * MIN);
  });
});
