import type { LogStream, Offsets } from './log/format.js';
import type { LogWriter } from './store/contract.js';

export interface RunLogOptions {
  /** New lines are durable up to `seq`: told at once after a quiet spell, then at most every `announceMs`. */
  readonly onLines: (seq: number) => void;
  readonly announceMs?: number;
}

/**
 * A running job's log as its handler writes it: the store's writer, plus the announcement that lines arrived (for
 * this process's waiters and, through the change source, other instances). A streaming job flushes on every SSH
 * packet (thousands a second); each announcement wakes readers, so they are throttled, with a last one for the end of
 * a burst. `note` is a system line made durable at once.
 */
export class RunLog implements LogWriter {
  private lastAnnounce = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly w: LogWriter,
    private readonly o: RunLogOptions,
  ) {}

  get seq(): number {
    return this.w.seq;
  }
  get offsets(): Readonly<Offsets> {
    return this.w.offsets;
  }
  get durableOffsets(): Readonly<Offsets> {
    return this.w.durableOffsets;
  }
  add(stream: LogStream, text: string, endOffset?: number, ts?: number): void {
    this.w.add(stream, text, endOffset, ts);
  }
  addRange(stream: LogStream, buf: Buffer, start: number, end: number, endOffset?: number, ts?: number): void {
    this.w.addRange(stream, buf, start, end, endOffset, ts);
  }
  addLines(s: 'stdout' | 'stderr', buf: Buffer, start: number, end: number, n: number, off: number, ts?: number) {
    this.w.addLines(s, buf, start, end, n, off, ts);
  }

  async flush(): Promise<void> {
    await this.w.flush();
    this.announce();
  }

  async close(): Promise<void> {
    try {
      await this.w.close();
    } finally {
      // The last lines are announced now, not after the writer is gone.
      if (this.timer) this.emit();
    }
  }

  private announce(): void {
    if (this.timer) return;
    const wait = this.lastAnnounce + (this.o.announceMs ?? 100) - performance.now();
    if (wait <= 0) return this.emit();
    this.timer = setTimeout(() => this.emit(), wait);
    this.timer.unref();
  }

  private emit(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastAnnounce = performance.now();
    this.o.onLines(this.w.seq);
  }
}
