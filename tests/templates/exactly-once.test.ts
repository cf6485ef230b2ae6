import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Stores } from '../../src/jobs/store/contract.js';
import { Gate } from '../../src/jobs/store/sqlite/backend.js';
import { openSqliteStores } from '../../src/jobs/store/sqlite/index.js';
import { migratedHomes } from '../helpers/sqlite-home.js';
import { allRuns, expectOncePerSlot, MIN, raceOverSlots, SLOTS, START } from './exactly-once.js';
import { fakeServer, templateInstance, type TemplateInstance } from './instance.js';

// Exactly once per slot across instances, SQLite: two ScheduleLoops over two stores opened separately on one
// database file (two instances of one process; real processes, and a SIGKILL mid-firing, are in
// exactly-once-processes.test.ts), ticking at once over 200 slots.
describe('a schedule over two SQLite instances', () => {
  const homes = migratedHomes();
  const open: { stores: Stores[]; instances: TemplateInstance[] } = { stores: [], instances: [] };
  afterEach(async () => {
    for (const i of open.instances.splice(0)) await i.close();
    for (const s of open.stores.splice(0)) await s.close();
    homes.cleanup();
  });

  it('starts each of 200 slots exactly once', async () => {
    const home = await homes.fresh();
    const key = path.join(home, 'client_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    // Two connections of one process take turns to write (the Gate); both race on every slot all the same.
    const gate = new Gate();
    const clock = { t: START };
    const now = () => clock.t;
    const sa = await openSqliteStores({ home, instance: { id: 'inst-a', host: 'h', pid: 1 }, gate });
    const sb = await openSqliteStores({ home, instance: { id: 'inst-b', host: 'h', pid: 2 }, gate });
    open.stores.push(sa, sb);
    await sa.inventory.add(fakeServer('box', key));
    const a = templateInstance(sa, { home, now });
    const b = templateInstance(sb, { home, now });
    open.instances.push(a, b);
    const id = await raceOverSlots(a, b, clock);
    const runs = await allRuns(sb, id);
    expectOncePerSlot(
      runs,
      id,
      Array.from({ length: SLOTS }, (_, i) => START + (i + 1) * MIN),
    );
    // Both instances started some (the race was real); together exactly one per slot. Nothing was reported as an
    // error or a missed slot.
    expect(a.counts.started + b.counts.started).toBe(SLOTS);
    expect(a.counts.started).toBeGreaterThan(0);
    expect(b.counts.started).toBeGreaterThan(0);
    console.log(
      `sqlite: A started ${a.counts.started}, B ${b.counts.started}; lost the insert race ${a.counts.duplicates + b.counts.duplicates} times`,
    );
    expect([...a.errors, ...b.errors]).toEqual([]);
    expect(await sa.templates.scheduleEvents(id, 10)).toEqual([]);
    expect((await sa.templates.getById(id))!.schedule_state.cursor).toBe(START + SLOTS * MIN);
  });
});
