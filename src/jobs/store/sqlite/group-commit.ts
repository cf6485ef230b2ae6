import type { Kysely, Transaction } from 'kysely';
import { sql } from '../kysely.js';
import type { Database } from '../schema.js';

type Work = (trx: Transaction<Database>) => Promise<unknown>;

interface Waiting {
  readonly fn: Work;
  readonly resolve: (v: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/** Enough to share one commit widely, few enough that one group does not hold the write lock for long. */
const MAX_GROUP = 64;

/**
 * Group commit for one SQLite connection. A commit costs an fsync (synchronous=FULL), far more than the statements
 * of a typical write, so writes that arrive while a transaction is under way wait for it and then share ONE
 * transaction, each in its own savepoint: one failing rolls back only itself, and every caller is answered after
 * the commit that made its write durable. A write with nobody waiting runs alone at once, as before.
 *
 * `hooks` hear when each write begins and when one was rolled back, so what was kept about its statements (the
 * revisions it stamped) can be forgotten.
 */
export class GroupCommit {
  private readonly waiting: Waiting[] = [];
  private draining = false;
  private drained: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    /** Runs a transaction's work under the process's write gate. */
    private readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>,
    private readonly hooks: { begin(): void; rolledBack(): void },
  ) {}

  write<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.draining) return;
      this.draining = true;
      // better-sqlite3 runs a whole transaction, fsync and all, without yielding: writes made by callbacks of the
      // same turn of the event loop could never wait for one another. Starting on the next turn lets them share.
      this.drained = new Promise<void>((done) => setImmediate(() => void this.drain().finally(done)));
    });
  }

  /** Once every write asked for so far is committed or refused (before the connection closes). */
  async idle(): Promise<void> {
    while (this.draining) await this.drained;
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const group = this.waiting.splice(0, MAX_GROUP);
        await this.exclusive(() => (group.length === 1 ? this.alone(group[0] as Waiting) : this.together(group)));
      }
    } finally {
      this.draining = false;
    }
  }

  private async alone(w: Waiting): Promise<void> {
    this.hooks.begin();
    try {
      w.resolve(await this.db.transaction().execute(w.fn));
    } catch (err) {
      this.hooks.rolledBack();
      w.reject(err);
    }
  }

  private async together(group: readonly Waiting[]): Promise<void> {
    const outcomes: ({ ok: true; value: unknown } | { ok: false; err: unknown })[] = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const w of group) {
          await sql`savepoint deckhand_write`.execute(trx);
          this.hooks.begin();
          try {
            const value = await w.fn(trx);
            await sql`release savepoint deckhand_write`.execute(trx);
            outcomes.push({ ok: true, value });
          } catch (err) {
            // If even this fails, the transaction is beyond saving: the catch below answers every write.
            await sql`rollback to savepoint deckhand_write`.execute(trx);
            await sql`release savepoint deckhand_write`.execute(trx);
            this.hooks.rolledBack();
            outcomes.push({ ok: false, err });
          }
        }
      });
    } catch (err) {
      for (const w of group) w.reject(err);
      return;
    }
    group.forEach((w, i) => {
      const o = outcomes[i] as (typeof outcomes)[number];
      if (o.ok) w.resolve(o.value);
      else w.reject(o.err);
    });
  }
}
