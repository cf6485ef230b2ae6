import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Scheduler } from '../../../src/jobs/scheduler.js';
import type { ClaimRequest } from '../../../src/jobs/store/contract.js';
import type { Job } from '../../../src/jobs/types.js';
import { waitFor } from '../../helpers/wait.js';
import { migratedHomes } from '../../helpers/sqlite-home.js';
import { openFixture, type StoreFixture } from './parts.js';

describe('Scheduler (real SQLite store)', () => {
  const homes = migratedHomes();
  afterAll(() => homes.cleanup());
  let f: StoreFixture;
  let launched: Job[];
  beforeEach(async () => {
    f = await openFixture(homes);
    launched = [];
  });
  afterEach(async () => {
    await f.close();
  });

  const scheduler = (claimRequest: () => ClaimRequest | undefined = () => f.claim()) =>
    new Scheduler({ jobs: f.stores.jobs, claimRequest, launch: (j) => void launched.push(j), onError: f.onError });

  it('starts queued jobs up to the instance slots, each once, and leaves the rest queued', async () => {
    const specs = [1, 2, 3, 4, 5].map(() => f.spec());
    await f.stores.jobs.create(specs, Date.now());
    const s = scheduler(() => f.claim({ maxForInstance: 3 }));
    s.kick();
    await s.idle();
    // FIFO by id among single jobs of the same priority.
    expect(launched.map((j) => j.id)).toEqual(
      specs
        .map((x) => x.id)
        .sort()
        .slice(0, 3),
    );
    expect(launched.every((j) => j.status === 'running' && j.owner?.instance === f.instance.id)).toBe(true);
    s.kick();
    await s.idle();
    // The slots are taken: nothing more starts until one frees.
    expect(launched).toHaveLength(3);
    expect((await f.stores.jobs.active()).filter((j) => j.status === 'queued')).toHaveLength(2);
    expect(f.errors).toEqual([]);
  });

  it('folds kicks during a claim into one more claim: no wake-up lost, claims never pile up', async () => {
    let claims = 0;
    let inClaim = 0;
    let most = 0;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const jobs = f.stores.jobs;
    const counting = Object.create(jobs) as typeof jobs;
    counting.claim = async (req) => {
      claims++;
      most = Math.max(most, ++inClaim);
      try {
        // The first claim is held open while the test kicks and creates a job.
        if (claims === 1) await held;
        return await jobs.claim(req);
      } finally {
        inClaim--;
      }
    };
    const s = new Scheduler({
      jobs: counting,
      claimRequest: () => f.claim(),
      launch: (j) => void launched.push(j),
      onError: f.onError,
    });
    s.kick();
    // Created while the first claim may already have looked: the kick that follows must start it.
    const [late] = await jobs.create([f.spec()], Date.now());
    for (let i = 0; i < 20; i++) s.kick();
    release();
    await s.idle();
    expect(claims).toBe(2);
    expect(most).toBe(1);
    expect(launched.map((j) => j.id)).toContain(late!.id);
  });

  it('claims nothing when this instance executes nothing (no claim request)', async () => {
    await f.stores.jobs.create([f.spec()], Date.now());
    const s = scheduler(() => undefined);
    s.kick();
    await s.idle();
    expect(launched).toEqual([]);
  });

  it('reports a failed claim and keeps working on the next kick', async () => {
    const jobs = f.stores.jobs;
    let fail = true;
    const flaky = Object.create(jobs) as typeof jobs;
    flaky.claim = (req) => (fail ? Promise.reject(new Error('database is locked')) : jobs.claim(req));
    const s = new Scheduler({
      jobs: flaky,
      claimRequest: () => f.claim(),
      launch: (j) => void launched.push(j),
      onError: f.onError,
    });
    await jobs.create([f.spec()], Date.now());
    s.kick();
    await waitFor(() => f.errors.length > 0, 'the failed claim to be reported');
    expect(f.errors[0]!.context).toBe('scheduling');
    fail = false;
    s.kick();
    await s.idle();
    expect(launched).toHaveLength(1);
  });
});
