// One deckhand instance's template machinery over stores the caller opened (two opened on one database are two
// instances): the job engine (never started: runs are real queued jobs that do not execute), the job service, the
// real RemoteBashService, a TemplateService and a ScheduleLoop, all on an injected clock. Used by the exactly-once
// tests in one process and, bundled, by their child processes (tests/templates/fixtures/loop-child.ts).
import { loadConfig } from '../../src/config.js';
import { JobEngine } from '../../src/jobs/engine.js';
import { jobFilesFor } from '../../src/jobs/files.js';
import { JobService } from '../../src/jobs/service.js';
import type { InventoryStore, Stores } from '../../src/jobs/store/contract.js';
import { RemoteBashService } from '../../src/remote-bash/index.js';
import { Inventory } from '../../src/servers/inventory.js';
import type { ServerRecord } from '../../src/servers/types.js';
import { SshPool } from '../../src/ssh/pool.js';
import { ScheduleLoop, TemplateService } from '../../src/templates/index.js';

export const START = Date.parse('2027-03-01T00:00:00Z');
export const MIN = 60_000;
export const SLOTS = 200;

export interface TemplateInstance {
  readonly service: TemplateService;
  readonly loop: ScheduleLoop;
  readonly jobs: JobService;
  readonly errors: unknown[];
  /** Slots this instance started, and slots it tried to start but another instance had (duplicate_job). */
  readonly counts: { started: number; duplicates: number };
  close(): Promise<void>;
}

export function templateInstance(
  stores: Stores,
  o: { home: string; now: () => number; onSlot?: (key: string, phase: 'firing' | 'started') => void },
): TemplateInstance {
  const config = loadConfig({ DECKHAND_HOME: o.home });
  const errors: unknown[] = [];
  const onError = (err: unknown) => errors.push(err);
  const files = jobFilesFor(stores.kind, o.home, stores.secrets);
  const engine = new JobEngine({
    stores,
    files,
    config: config.jobs,
    instance: { id: `inst_${Math.random().toString(36).slice(2)}`, host: 'test', pid: process.pid, version: 'test' },
    isAlive: () => true,
    onError,
  });
  const jobs = new JobService({ engine, stores, limits: config.jobs });
  const pool = new SshPool({ connectTimeoutMs: 2000, keepaliveIntervalMs: 10_000, env: {} });
  const remoteBash = new RemoteBashService({
    engine,
    jobs,
    files,
    inventory: new Inventory(stores.inventory as unknown as InventoryStore<ServerRecord>),
    pool,
    config,
    env: {},
  });
  const service = new TemplateService({
    store: stores.templates,
    secrets: stores.secrets,
    runner: remoteBash,
    jobs,
    now: o.now,
  });
  const counts = { started: 0, duplicates: 0 };
  const loop = new ScheduleLoop({
    store: stores.templates,
    service: {
      async runSlot(t, slot, id) {
        o.onSlot?.(slot.key, 'firing');
        try {
          const job = await service.runSlot(t, slot, id);
          counts.started++;
          o.onSlot?.(slot.key, 'started');
          return job;
        } catch (err) {
          if ((err as { code?: string }).code === 'duplicate_job') counts.duplicates++;
          throw err;
        }
      },
    },
    cancel: (id) => jobs.cancel(id),
    now: o.now,
    onError,
  });
  return {
    service,
    loop,
    jobs,
    errors,
    counts,
    async close() {
      await loop.close();
      await pool.close();
    },
  };
}

/** A registered server the runs target as a batch (`servers: [name]`): nothing connects to it. */
export function fakeServer(name: string, keyPath: string): ServerRecord {
  return {
    name,
    host: '127.0.0.1',
    port: 1,
    user: 'root',
    auth: { private_key_path: keyPath },
    host_key_fingerprint: `SHA256:${'A'.repeat(43)}`,
    labels: {},
    added_at: '2027-01-01T00:00:00.000Z',
  };
}
