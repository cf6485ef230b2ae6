import type { JobsConfig } from '../config.js';
import type { Stores } from './store/contract.js';

export interface HousekeeperOptions {
  readonly stores: Stores;
  readonly config: JobsConfig;
  readonly onError: (err: unknown, context: string) => void;
  /** How often retention runs (default 10 minutes). */
  readonly everyMs?: number;
}

const DAY = 86_400_000;

/**
 * Retention, run by every instance that executes jobs (each step is idempotent, so two at once do no harm): finished
 * jobs' logs past DECKHAND_JOB_LOGS_RETAIN_DAYS or the total size cap (files or chunk rows), then finished job
 * records past DECKHAND_JOBS_RETAIN_DAYS, deleted in small batches so claims never wait long behind them.
 */
export class Housekeeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly o: HousekeeperOptions) {}

  start(): void {
    this.timer = setInterval(() => this.poke(), this.o.everyMs ?? 600_000);
    this.timer.unref();
    this.poke();
  }

  poke(): void {
    this.running ??= this.run().finally(() => (this.running = undefined));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async run(): Promise<void> {
    const { stores, config } = this.o;
    try {
      await stores.logs.sweep({ keepDays: config.logRetainDays, maxTotalBytes: config.logsMaxTotalBytes }, Date.now());
    } catch (err) {
      this.o.onError(err, 'log retention');
    }
    if (config.retainDays === 0) return;
    try {
      const before = Date.now() - config.retainDays * DAY;
      // Batches of 500: each is one short write, so claims and updates slip in between.
      while ((await stores.jobs.deleteFinished(before, 500)).length === 500);
    } catch (err) {
      this.o.onError(err, 'record retention');
    }
  }
}
