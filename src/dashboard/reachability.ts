import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../errors.js';
import type { Reachability } from './sources.js';

export interface ProberOptions {
  /** The registered servers' names, read at each round. */
  list(): Promise<string[]>;
  /** Resolves when the server answers now; rejects with why not (the servers feature's checkAnswers). */
  check(name: string, signal: AbortSignal): Promise<void>;
  /** Between rounds (default 60 s). */
  readonly intervalMs?: number;
  /** Probing stops once no page asked for this long (default 10 min), and starts again with the next ask. */
  readonly idleMs?: number;
  /** Servers probed at once (default 4). */
  readonly concurrency?: number;
  readonly now?: () => number;
  readonly onError?: (err: unknown) => void;
}

/**
 * Whether each server answers, for the servers page, from a background probe the dashboard owns: a page load reads
 * the last answers and never opens a connection itself. The probe runs only while people look (a page asked within
 * `idleMs`), a round every `intervalMs`, a few servers at a time, and stops with close().
 */
export class ReachabilityProber {
  private readonly results = new Map<string, Reachability>();
  private readonly closing = new AbortController();
  private loop: Promise<void> | undefined;
  private wantedAt = 0;
  private readonly now: () => number;

  constructor(private readonly o: ProberOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The last answer for `name` ('unknown' before its first probe); asking keeps the probe going. */
  state(name: string): Reachability {
    this.wantedAt = this.now();
    if (!this.loop && !this.closing.signal.aborted) {
      this.loop = this.run()
        .catch((err: unknown) => this.o.onError?.(err))
        .finally(() => (this.loop = undefined));
    }
    return this.results.get(name) ?? { state: 'unknown' };
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const signal = this.closing.signal;
    while (!signal.aborted && this.now() - this.wantedAt < (this.o.idleMs ?? 600_000)) {
      await this.round(signal);
      await sleep(this.o.intervalMs ?? 60_000, undefined, { signal }).catch(() => undefined);
    }
  }

  private async round(signal: AbortSignal): Promise<void> {
    const names = await this.o.list();
    const known = new Set(names);
    for (const name of this.results.keys()) if (!known.has(name)) this.results.delete(name);
    let next = 0;
    const worker = async () => {
      while (next < names.length && !signal.aborted) {
        const name = names[next++] as string;
        try {
          await this.o.check(name, signal);
          this.results.set(name, { state: 'reachable', checked_at: new Date(this.now()).toISOString() });
        } catch (err) {
          if (signal.aborted) return;
          this.results.set(name, {
            state: 'unreachable',
            checked_at: new Date(this.now()).toISOString(),
            error: errorMessage(err),
          });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.o.concurrency ?? 4) }, worker));
  }
}
