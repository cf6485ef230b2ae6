import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Kysely } from 'kysely';
import type { ChangeSource, StoreChange } from '../contract.js';
import type { Database } from '../schema.js';
import { CHANNEL, type ChangePayload } from './backend.js';

export interface PgChangesOptions {
  readonly db: Kysely<Database>;
  /** Settings of the dedicated LISTEN connection (the pool's, without a pool). */
  readonly client: pg.ClientConfig;
  readonly instanceId: string;
  readonly onError?: (err: unknown) => void;
}

/**
 * Wake-ups from other instances through LISTEN/NOTIFY on one dedicated connection. A notification is a hint (it is
 * sent on commit, and lost while the connection is down): after a reconnect, a catch-up tells of every job that may
 * have changed meanwhile (those active now and those ended since), and of the lines of running jobs.
 */
export class PgChangeSource implements ChangeSource {
  private readonly listeners = new Set<(c: StoreChange) => void>();
  private stopper: AbortController | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly o: PgChangesOptions) {}

  watch(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    if (!this.stopper) {
      const ac = new AbortController();
      this.stopper = ac;
      this.loop = this.run(ac.signal);
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) void this.stop();
    };
  }

  announceLines(id: string, seq: number): void {
    const payload = JSON.stringify({ i: this.o.instanceId, l: id, s: seq } satisfies ChangePayload);
    this.o.db
      .selectNoFrom((eb) => eb.fn<string>('pg_notify', [eb.val(CHANNEL), eb.val(payload)]).as('n'))
      .execute()
      .catch((err: unknown) => this.o.onError?.(err));
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.stop();
  }

  private async stop(): Promise<void> {
    this.stopper?.abort();
    this.stopper = undefined;
    const loop = this.loop;
    this.loop = undefined;
    await loop;
  }

  private emit(c: StoreChange): void {
    for (const l of this.listeners) l(c);
  }

  private onNotification(payload: string | undefined): void {
    let p: ChangePayload;
    try {
      p = JSON.parse(payload ?? '') as ChangePayload;
    } catch {
      return;
    }
    if (p.i === this.o.instanceId) return;
    for (const id of p.j ?? []) this.emit({ kind: 'job', id });
    if (typeof p.l === 'string' && typeof p.s === 'number') this.emit({ kind: 'lines', id: p.l, seq: p.s });
  }

  /** Connects, listens until the connection drops, and again (backing off up to 5 s) until stopped. */
  private async run(signal: AbortSignal): Promise<void> {
    let lostAt: number | undefined;
    let backoff = 200;
    while (!signal.aborted) {
      const client = new pg.Client(this.o.client);
      let onAbort = () => {};
      const ended = new Promise<void>((resolve) => {
        onAbort = resolve;
        client.once('end', resolve);
        client.on('error', (err) => {
          this.o.onError?.(err);
          resolve();
        });
        signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        await client.connect();
        client.on('notification', (n) => this.onNotification(n.payload));
        await client.query(`listen ${CHANNEL}`);
        backoff = 200;
        if (lostAt !== undefined) await this.catchUp(lostAt);
        await ended;
        lostAt = Date.now();
      } catch (err) {
        if (!signal.aborted) this.o.onError?.(err);
        lostAt ??= Date.now();
      } finally {
        signal.removeEventListener('abort', onAbort);
        await client.end().catch(() => undefined);
      }
      if (signal.aborted) break;
      await sleep(backoff, undefined, { signal }).catch(() => undefined);
      backoff = Math.min(5000, backoff * 2);
    }
  }

  /** What may have changed while no notification could arrive. */
  private async catchUp(since: number): Promise<void> {
    const margin = since - 2000;
    const jobs = await this.o.db
      .selectFrom('jobs')
      .select(['id', 'status'])
      .where((eb) => eb.or([eb('status', 'in', ['queued', 'running']), eb('finished_at', '>=', margin)]))
      .execute();
    for (const j of jobs) this.emit({ kind: 'job', id: j.id });
    const running = jobs.filter((j) => j.status === 'running').map((j) => j.id);
    if (running.length === 0) return;
    const heads = await this.o.db
      .selectFrom('log_heads')
      .select(['job_id', 'last_seq'])
      .where('job_id', 'in', running)
      .execute();
    for (const h of heads) this.emit({ kind: 'lines', id: h.job_id, seq: h.last_seq });
  }
}
