import fs from 'node:fs';
import type { Kysely } from 'kysely';
import { sql } from '../kysely.js';
import { logDir } from '../../log/file-store.js';
import { attemptLogKey } from '../../log/keys.js';
import { indexPath } from '../../log/records.js';
import { lastSeq, listSegments } from '../../log/segments.js';
import type { ChangeSource, StoreChange } from '../contract.js';
import type { Database } from '../schema.js';
import type { OwnRevisions } from './backend.js';

export interface SqliteChangesOptions {
  readonly db: Kysely<Database>;
  readonly home: string;
  readonly instanceId: string;
  readonly own: OwnRevisions;
  /** How often the database and the running jobs' logs are looked at while someone watches (default 100 ms). */
  readonly pollMs?: number;
  readonly onError?: (err: unknown) => void;
}

/**
 * Changes made by other processes on the same home. `PRAGMA data_version` (a read of the shared WAL index, no I/O)
 * says whether another connection committed since the last look; only then are the jobs past the last revision read.
 * Lines need no database at all: the log files are on this machine, and a segment's index grows with each flush of
 * its writer, so the running jobs of other processes are watched through their index files' sizes.
 */
export class SqliteChangeSource implements ChangeSource {
  private readonly listeners = new Set<(c: StoreChange) => void>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private version: number | undefined;
  private rev = 0;
  /** Running jobs of other processes: the size of their newest index file and the last seq told. */
  private followed = new Map<string, { key: string; idx: string; size: number; seq: number }>();

  constructor(private readonly o: SqliteChangesOptions) {}

  watch(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    if (!this.timer) this.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  announceLines(): void {
    // Watchers in other processes see the log files grow.
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.stop();
    await this.polling;
  }

  private start(): void {
    this.o.own.recording = true;
    this.version = undefined;
    this.timer = setInterval(() => {
      if (!this.polling) this.polling = this.poll().finally(() => (this.polling = undefined));
    }, this.o.pollMs ?? 100);
    this.timer.unref();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.o.own.recording = false;
  }

  private emit(c: StoreChange): void {
    for (const l of this.listeners) l(c);
  }

  private async poll(): Promise<void> {
    try {
      const db = this.o.db;
      const v = (await sql<{ data_version: number }>`pragma data_version`.execute(db)).rows[0]?.data_version ?? 0;
      if (this.version === undefined) {
        // The first look: from here on, not the past.
        this.rev = Number(
          (await db.selectFrom('meta').select('value').where('key', '=', 'job_rev').executeTakeFirst())?.value ?? 0,
        );
        this.version = v;
        await this.refreshFollowed(true);
      } else if (v !== this.version) {
        this.version = v;
        const rows = await db
          .selectFrom('jobs')
          .select(['id', 'rev'])
          .where('rev', '>', this.rev)
          .orderBy('rev')
          .execute();
        for (const r of rows) {
          if (!this.o.own.has(r.rev)) this.emit({ kind: 'job', id: r.id });
          this.rev = Math.max(this.rev, r.rev);
        }
        this.o.own.dropUpTo(this.rev);
        await this.refreshFollowed(false);
      }
      this.lookAtLogs();
    } catch (err) {
      this.o.onError?.(err);
    }
  }

  /** `first`: the first look notes where logs are; a job seen running later is news from its first line. */
  private async refreshFollowed(first: boolean): Promise<void> {
    const rows = await this.o.db
      .selectFrom('jobs')
      .select(['id', 'owner_instance', 'attempts'])
      .where('status', '=', 'running')
      .execute();
    const next = new Map<string, { key: string; idx: string; size: number; seq: number }>();
    for (const r of rows) {
      if (r.owner_instance === null || r.owner_instance === this.o.instanceId) continue;
      // The attempt running now writes its own log (log/keys.ts): that is the one to watch.
      const ended = typeof r.attempts === 'string' ? (JSON.parse(r.attempts) as unknown[]).length : 0;
      const key = attemptLogKey(r.id, ended + 1);
      const prev = this.followed.get(r.id);
      next.set(r.id, prev?.key === key ? prev : { key, idx: '', size: -1, seq: first ? -1 : 0 });
    }
    this.followed = next;
  }

  private lookAtLogs(): void {
    for (const [id, f] of this.followed) {
      const seg = listSegments(logDir(this.o.home, f.key)).at(-1);
      if (!seg) continue;
      const idx = indexPath(seg);
      let size: number;
      try {
        size = fs.statSync(idx).size;
      } catch {
        continue;
      }
      if (idx === f.idx && size === f.size) continue;
      f.idx = idx;
      f.size = size;
      const seq = lastSeq(seg);
      if (f.seq >= 0 && seq > f.seq) this.emit({ kind: 'lines', id, seq });
      f.seq = Math.max(f.seq, seq);
    }
  }
}
