import { afterEach, describe } from 'vitest';
import type { InstanceRef, Stores } from '../../../src/jobs/store/contract.js';
import { changesContract } from './contract/changes.js';
import { claimsContract } from './contract/claims.js';
import { jobsContract } from './contract/jobs.js';
import { logsContract } from './contract/logs.js';
import { queueContract } from './contract/queue.js';
import { retentionContract } from './contract/retention.js';
import { safetyContract } from './contract/safety.js';
import { smallStoresContract } from './contract/small.js';
import { templatesContract } from './contract/templates.js';
import type { StoreHarness, World } from './contract/world.js';

export type { StoreHarness, World };

/**
 * THE contract suite: every promise of src/jobs/store/contract.ts, run against each backend (sqlite.test.ts,
 * postgres.test.ts). A promise written there and not tested here is a bug in this suite.
 */
export function storeContract(h: StoreHarness): void {
  const worlds: World[] = [];
  afterEach(async () => {
    for (const w of worlds.splice(0)) await w.cleanup();
  });
  /** A fresh database for one test; cleaned up after it. */
  const world = async (): Promise<World> => {
    const w = await h.fresh();
    worlds.push(w);
    return w;
  };
  describe(`${h.kind} store contract`, () => {
    jobsContract(world);
    claimsContract(world);
    changesContract(world);
    logsContract(world);
    queueContract(world);
    retentionContract(world);
    smallStoresContract(world);
    safetyContract(world);
    templatesContract(world);
  });
}

export type { InstanceRef, Stores };
