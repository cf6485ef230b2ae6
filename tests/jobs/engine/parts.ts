import { openSqliteStores } from '../../../src/jobs/store/sqlite/index.js';
import type { ClaimRequest, InstanceRef, NewJobSpec, Stores } from '../../../src/jobs/store/contract.js';
import { newJobId } from '../../../src/jobs/types.js';
import fs from 'node:fs';
import type { MigratedHomes } from '../../helpers/sqlite-home.js';

/**
 * The engine's parts (scheduler, runs, recovery) are tested one at a time over a real SQLite store in a temp home,
 * with fake handlers and callbacks in place of the engine that wires them.
 */
export interface StoreFixture {
  readonly home: string;
  readonly stores: Stores;
  readonly instance: InstanceRef;
  claim(o?: Partial<ClaimRequest>): ClaimRequest;
  spec(o?: Partial<NewJobSpec>): NewJobSpec;
  /** Errors the parts reported (they never throw them): a test asserts this is empty, or what it holds. */
  readonly errors: { err: unknown; context: string }[];
  onError(err: unknown, context: string): void;
  close(): Promise<void>;
}

export function instanceRef(pid = process.pid, host = 'test-host'): InstanceRef {
  return { id: `inst_${newJobId().slice('job_'.length)}`, host, pid };
}

/** One template per test file (`migratedHomes()` at its top, cleaned up after all), a fresh home per test. */
export async function openFixture(homes: MigratedHomes): Promise<StoreFixture> {
  const home = await homes.fresh();
  const instance = instanceRef();
  const stores = await openSqliteStores({ home, instance });
  await stores.instances.register({ ...instance, version: 'test', started_at: Date.now(), max_jobs: 4 }, Date.now());
  const errors: { err: unknown; context: string }[] = [];
  return {
    home,
    stores,
    instance,
    errors,
    onError: (err, context) => void errors.push({ err, context }),
    claim: (o = {}) => ({ instance, now: Date.now(), maxForInstance: 4, maxPerServer: 10, max: 10, ...o }),
    spec: (o = {}) => ({ id: newJobId(), type: 'fake', server: 'box', params: {}, timeout_s: 60, ...o }),
    async close() {
      await stores.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
