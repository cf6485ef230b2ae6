import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Recovery } from '../../../src/jobs/recovery.js';
import type { InstanceRef } from '../../../src/jobs/store/contract.js';
import type { Job } from '../../../src/jobs/types.js';
import { waitFor } from '../../helpers/wait.js';
import { migratedHomes } from '../../helpers/sqlite-home.js';
import { instanceRef, openFixture, type StoreFixture } from './parts.js';

const OWNER_TIMEOUT_MS = 3000;

describe('Recovery (real SQLite store)', () => {
  const homes = migratedHomes();
  afterAll(() => homes.cleanup());
  let f: StoreFixture;
  let adopted: Job[];
  let lost: number;
  let alive: Set<number>;
  let recoveries: Recovery[];

  beforeEach(async () => {
    f = await openFixture(homes);
    adopted = [];
    lost = 0;
    alive = new Set([process.pid]);
    recoveries = [];
  });
  afterEach(async () => {
    vi.useRealTimers();
    for (const r of recoveries) await r.stop();
    await f.close();
  });

  const recovery = (o: { instance?: InstanceRef; maxJobs?: number } = {}) => {
    const r = new Recovery({
      stores: f.stores,
      instance: { ...(o.instance ?? f.instance), version: 'test', maxJobs: o.maxJobs ?? 4 },
      ownerTimeoutMs: OWNER_TIMEOUT_MS,
      isAlive: (pid) => alive.has(pid),
      adopt: (jobs) => void adopted.push(...jobs),
      onLostOwnership: () => void lost++,
      onError: f.onError,
    });
    recoveries.push(r);
    return r;
  };

  /** Another instance, registered with a heartbeat `ago` ms old, owning one running job. */
  const other = async (o: { pid: number; host?: string; ago?: number }) => {
    const inst = instanceRef(o.pid, o.host ?? f.instance.host);
    const at = Date.now() - (o.ago ?? 0);
    await f.stores.instances.register({ ...inst, version: 'test', started_at: at, max_jobs: 4 }, at);
    const job = await f.stores.jobs.createAndClaim(f.spec(), { ...f.claim(), instance: inst });
    expect(job.owner?.instance).toBe(inst.id);
    return { inst, job };
  };

  it('registers this instance on start and removes it on stop', async () => {
    const mine = instanceRef();
    const r = recovery({ instance: mine });
    await r.start();
    expect((await f.stores.instances.list()).map((i) => i.id)).toContain(mine.id);
    await r.stop();
    recoveries.pop();
    expect((await f.stores.instances.list()).map((i) => i.id)).not.toContain(mine.id);
  });

  it('takes over at once the running jobs of a process of this host that is gone, and reattaches to them', async () => {
    const { job } = await other({ pid: 999_001 });
    await recovery().start();
    expect(adopted.map((j) => j.id)).toEqual([job.id]);
    expect(await f.stores.jobs.get(job.id)).toMatchObject({ status: 'running', owner: { instance: f.instance.id } });
  });

  it('leaves the jobs of a live instance alone, and of a silent one on another host until its heartbeat is stale', async () => {
    alive.add(999_002);
    await other({ pid: 999_002 });
    // Another host's pid means nothing here: only its heartbeat counts.
    const fresh = await other({ pid: 999_003, host: 'elsewhere' });
    const stale = await other({ pid: 999_004, host: 'elsewhere', ago: OWNER_TIMEOUT_MS + 1000 });
    await recovery().start();
    expect(adopted.map((j) => j.id)).toEqual([stale.job.id]);
    expect((await f.stores.jobs.get(fresh.job.id))?.owner?.instance).toBe(fresh.inst.id);
  });

  it('takes nothing when this instance executes nothing (DECKHAND_MAX_JOBS=0)', async () => {
    await other({ pid: 999_005 });
    await recovery({ maxJobs: 0 }).start();
    expect(adopted).toEqual([]);
  });

  it('of two instances looking at once, each job goes to exactly one', async () => {
    const jobs = await Promise.all([1, 2, 3, 4].map((i) => other({ pid: 999_100 + i })));
    const second = instanceRef(process.pid, f.instance.host);
    await f.stores.instances.register({ ...second, version: 'test', started_at: Date.now(), max_jobs: 4 }, Date.now());
    const a = recovery();
    const b = recovery({ instance: second });
    await Promise.all([a.check(), b.check()]);
    expect(adopted.map((j) => j.id).sort()).toEqual(jobs.map((j) => j.job.id).sort());
  });

  it('finds out at its heartbeat that another instance took it for dead, stops its runs, and does not unregister', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'], now: Date.now() });
    const mine = instanceRef();
    const r = recovery({ instance: mine });
    await r.start();
    await f.stores.instances.unregister(mine.id);
    // The first look after a third of the owner timeout is a heartbeat.
    await vi.advanceTimersByTimeAsync(OWNER_TIMEOUT_MS / 3 + 1000);
    await waitFor(() => lost > 0, 'the lost ownership to be noticed');
    expect(lost).toBe(1);
    await r.stop();
    recoveries.pop();
    expect((await f.stores.instances.list()).map((i) => i.id)).not.toContain(mine.id);
    expect(f.errors).toEqual([]);
  });
});
