import fs from 'node:fs';
import type { JobsConfig } from '../config.js';
import { jobDir } from './log/file-store.js';
import type { Stores } from './store/contract.js';

export interface HousekeeperOptions {
  /** DECKHAND_HOME: an expired job's local directory (embedded mode: its logs) is removed whole. */
  readonly home: string;
  readonly stores: Stores;
  readonly config: JobsConfig;
  readonly onError: (err: unknown, context: string) => void;
  /** How often retention runs (default 10 minutes). */
  readonly everyMs?: number;
  /** How often jobs past their ttl_after_finished_s are removed (default 30 s: a TTL of a minute means about one). */
  readonly ttlEveryMs?: number;
  /** The clock (tests move it). */
  readonly now?: () => number;
}

const DAY = 86_400_000;

/**
 * Retention, run by every instance that executes jobs (each step is idempotent, so two at once do no harm): finished
 * jobs' logs past DECKHAND_JOB_LOGS_RETAIN_DAYS or the total size cap (files or chunk rows), then finished job
 * records past DECKHAND_JOBS_RETAIN_DAYS, deleted in small batches so claims never wait long behind them.
 */
export class Housekeeper {
  private timer: NodeJS.Timeout | undefined;
  private ttlTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private expiring: Promise<void> | undefined;

  constructor(private readonly o: HousekeeperOptions) {}

  start(): void {
    this.timer = setInterval(() => this.poke(), this.o.everyMs ?? 600_000);
    this.timer.unref();
    this.ttlTimer = setInterval(() => void this.expire(), this.o.ttlEveryMs ?? 30_000);
    this.ttlTimer.unref();
    this.poke();
    void this.expire();
  }

  /**
   * Removes the jobs whose ttl_after_finished_s ran out: the record (PostgreSQL: with its log rows) and, in embedded
   * mode, the job's directory with every attempt's log. Idempotent, so instances doing it at once do no harm.
   */
  expire(): Promise<void> {
    this.expiring ??= this.removeExpired().finally(() => (this.expiring = undefined));
    return this.expiring;
  }

  private async removeExpired(): Promise<void> {
    const { stores } = this.o;
    try {
      for (;;) {
        const ids = await stores.jobs.deleteExpired((this.o.now ?? Date.now)(), 500);
        // The job's local directory: its logs in embedded mode, its secret inputs and launch marks in either.
        for (const id of ids) await fs.promises.rm(jobDir(this.o.home, id), { recursive: true, force: true });
        if (ids.length < 500) break;
      }
    } catch (err) {
      this.o.onError(err, 'ttl_after_finished_s');
    }
  }

  poke(): void {
    this.running ??= this.run().finally(() => (this.running = undefined));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.ttlTimer);
    await this.running;
    await this.expiring;
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
