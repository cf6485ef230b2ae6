import type { JobsConfig } from '../config.js';
import { sweepJobLogs, type SweepDeps } from './log-retention.js';
import type { JobStore } from './store.js';
import { isTerminal } from './types.js';

export interface HousekeeperOptions {
  readonly home: string;
  readonly store: JobStore;
  readonly config: JobsConfig;
  readonly onError?: ((err: unknown, context: string) => void) | undefined;
  /** How often finished jobs' logs are checked against the retention policy (default 10 minutes). */
  readonly everyMs?: number | undefined;
}

const COMPACT_EVERY_MS = 86_400_000;

/** What the log sweep asks about jobs, answered from the store. */
export function jobStates(store: JobStore): Pick<SweepDeps, 'activeIds' | 'stateOf'> {
  return {
    activeIds: async () => new Set((await store.active()).map((j) => j.id)),
    stateOf: async (id) => {
      const job = await store.get(id);
      return !job ? 'unknown' : isTerminal(job.status) ? 'finished' : 'active';
    },
  };
}

/**
 * Retention beyond jobs.json, run by the process that executes jobs: finished jobs' logs, and once a day (it
 * rewrites the file) the archive. One run at a time, in the background: walking every job directory of a large home
 * takes a while, and the polls that start and reconcile jobs must not wait for it.
 */
export class Housekeeper {
  private lastSweep = 0;
  private lastCompaction = 0;
  private running: Promise<void> | undefined;

  constructor(private readonly opts: HousekeeperOptions) {}

  /** Starts a run when one is due and none is under way. */
  poke(): void {
    if (this.running || Date.now() - this.lastSweep <= (this.opts.everyMs ?? 600_000)) return;
    this.lastSweep = Date.now();
    this.running = this.run().finally(() => (this.running = undefined));
  }

  /** Waits for a run under way. */
  async close(): Promise<void> {
    await this.running;
  }

  private async run(): Promise<void> {
    const { store, config } = this.opts;
    try {
      await sweepJobLogs({
        home: this.opts.home,
        policy: { keepDays: config.logRetainDays, maxTotalBytes: config.logsMaxTotalBytes },
        ...jobStates(store),
      });
    } catch (err) {
      this.opts.onError?.(err, 'log retention');
    }
    if (Date.now() - this.lastCompaction < COMPACT_EVERY_MS) return;
    this.lastCompaction = Date.now();
    try {
      await store.compactArchive();
    } catch (err) {
      this.opts.onError?.(err, 'archive retention');
    }
  }
}
