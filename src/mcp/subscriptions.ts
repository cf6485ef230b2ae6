import type { Job } from '../jobs/index.js';
import type { JobChanges } from '../jobs/index.js';
import { parseJobUri, type JobResourceKind } from './links.js';

export interface SubscriptionOptions {
  readonly changes: JobChanges;
  /** Sends notifications/resources/updated for one URI to the session. */
  readonly send: (uri: string) => Promise<void>;
  /** Closest two updates of one resource may follow each other (default 500 ms). */
  readonly throttleMs?: number;
  readonly onError?: (err: unknown) => void;
}

interface Subscription {
  readonly uri: string;
  readonly jobId: string | undefined;
  readonly kind: JobResourceKind | undefined;
  lastSent: number;
  timer: NodeJS.Timeout | undefined;
  releaseLog: (() => void) | undefined;
}

/**
 * One session's resource subscriptions. A job's record URI is updated when the job changes, its log URI when
 * lines arrive (or the job ends), each at most every throttleMs: the first change goes out at once, later ones
 * are gathered into one trailing update. Unsubscribe and close leave no listener or timer behind.
 */
export class ResourceSubscriptions {
  private readonly subs = new Map<string, Subscription>();
  private releaseChanges: (() => void) | undefined;
  private closed = false;

  constructor(private readonly opts: SubscriptionOptions) {}

  /** Subscribes; callers check first that a deckhand URI names a known job. Other URIs are kept but never updated. */
  subscribe(uri: string): void {
    if (this.closed || this.subs.has(uri)) return;
    const parsed = parseJobUri(uri);
    const jobId = parsed?.valid ? parsed.id : undefined;
    const sub: Subscription = {
      uri,
      jobId,
      kind: parsed?.kind,
      lastSent: 0,
      timer: undefined,
      releaseLog: jobId && parsed?.kind === 'log' ? this.opts.changes.watchLog(jobId) : undefined,
    };
    this.subs.set(uri, sub);
    if (jobId && !this.releaseChanges) this.attach();
  }

  unsubscribe(uri: string): void {
    const sub = this.subs.get(uri);
    if (!sub) return;
    this.subs.delete(uri);
    this.drop(sub);
    if (![...this.subs.values()].some((s) => s.jobId)) this.detach();
  }

  has(uri: string): boolean {
    return this.subs.has(uri);
  }

  get size(): number {
    return this.subs.size;
  }

  close(): void {
    this.closed = true;
    for (const sub of this.subs.values()) this.drop(sub);
    this.subs.clear();
    this.detach();
  }

  private readonly onJob = (job: Job) => this.changed(job.id, ['record', 'log']);
  private readonly onLines = (jobId: string) => this.changed(jobId, ['log']);

  private attach(): void {
    this.opts.changes.events.on('job', this.onJob);
    this.opts.changes.events.on('lines', this.onLines);
    this.releaseChanges = this.opts.changes.retain();
  }

  private detach(): void {
    this.opts.changes.events.off('job', this.onJob);
    this.opts.changes.events.off('lines', this.onLines);
    this.releaseChanges?.();
    this.releaseChanges = undefined;
  }

  private drop(sub: Subscription): void {
    if (sub.timer) clearTimeout(sub.timer);
    sub.timer = undefined;
    sub.releaseLog?.();
    sub.releaseLog = undefined;
  }

  private changed(jobId: string, kinds: readonly JobResourceKind[]): void {
    for (const sub of this.subs.values()) {
      if (sub.jobId === jobId && sub.kind && kinds.includes(sub.kind)) this.notify(sub);
    }
  }

  private notify(sub: Subscription): void {
    if (sub.timer) return;
    const throttle = this.opts.throttleMs ?? 500;
    const wait = sub.lastSent + throttle - Date.now();
    if (wait <= 0) return this.send(sub);
    sub.timer = setTimeout(() => {
      sub.timer = undefined;
      if (this.subs.get(sub.uri) === sub) this.send(sub);
    }, wait);
  }

  private send(sub: Subscription): void {
    sub.lastSent = Date.now();
    this.opts.send(sub.uri).catch((err: unknown) => this.opts.onError?.(err));
  }
}
