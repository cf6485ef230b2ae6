import type { Transaction } from 'kysely';
import { canonicalJson } from '../../audit/canonical.js';
import { sealEntry, type ChainHead } from '../../audit/chain.js';
import type { AuditEntry, AuditRecord } from '../../audit/entry.js';
import type { AuditPage, AuditReadOptions } from '../../audit/sink.js';
import type { Backend } from './backend.js';
import type { AuditStore } from './contract.js';
import type { Database } from './schema.js';

type Trx = Transaction<Database>;
const MAX_PAGE = 1000;

/**
 * The audit log on SQL tables, for both backends. Every append reads the head row, seals the entry onto it and moves
 * it on in one write transaction: PostgreSQL locks the row (SELECT … FOR UPDATE), SQLite holds its one write lock
 * from BEGIN IMMEDIATE, so appends of several processes and instances are serialised and the chain never forks.
 * Rows are never updated; retention deletes a prefix and moves the start of the kept chain.
 */
export class SqlAuditStore implements AuditStore {
  constructor(private readonly b: Backend) {}

  append(record: AuditRecord): Promise<AuditEntry> {
    return this.b.write(async (trx) => this.insert(trx, await this.lockHead(trx), record));
  }

  appendOutcome(record: AuditRecord & { readonly job_id: string }): Promise<AuditEntry | undefined> {
    return this.b.write(async (trx) => {
      const head = await this.lockHead(trx);
      const done = await trx
        .selectFrom('audit_log')
        .select('seq')
        .where('job_id', '=', record.job_id)
        .where('event', '=', 'outcome')
        .executeTakeFirst();
      return done ? undefined : this.insert(trx, head, record);
    });
  }

  async jobsWithoutOutcome(since: Date, limit: number): Promise<string[]> {
    const rows = await this.b.read((db) =>
      db
        .selectFrom('audit_log as c')
        .select('c.job_id')
        .where('c.event', '=', 'tool-call')
        .where('c.job_id', 'is not', null)
        .where('c.at_ms', '>=', since.getTime())
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('audit_log as o')
                .select('o.seq')
                .whereRef('o.job_id', '=', 'c.job_id')
                .where('o.event', '=', 'outcome'),
            ),
          ),
        )
        .orderBy('c.seq')
        .limit(Math.max(1, Math.min(limit, 1000)))
        .execute(),
    );
    return rows.map((r) => r.job_id as string);
  }

  async read(options: AuditReadOptions = {}): Promise<AuditPage> {
    const after = options.after ?? 0;
    const limit = Math.min(Math.max(options.limit ?? 100, 1), MAX_PAGE);
    const rows = await this.b.read((db) =>
      db
        .selectFrom('audit_log')
        .select(['seq', 'entry'])
        .where('seq', '>', after)
        .$if(options.server !== undefined, (q) => q.where('server', '=', options.server as string))
        .$if(options.since !== undefined, (q) => q.where('at_ms', '>=', (options.since as Date).getTime()))
        .orderBy('seq')
        .limit(limit)
        .execute(),
    );
    const entries = rows.map((r) => parseEntry(Number(r.seq), r.entry));
    return { entries, next: rows.length > 0 ? Number(rows[rows.length - 1]!.seq) : after };
  }

  async head(): Promise<ChainHead> {
    const row = await this.b.read((db) =>
      db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow(),
    );
    return { seq: Number(row.seq), hash: row.hash };
  }

  async checkpoint(): Promise<ChainHead> {
    const row = await this.b.read((db) =>
      db.selectFrom('audit_head').select(['start_seq', 'start_hash']).where('id', '=', 1).executeTakeFirstOrThrow(),
    );
    return { seq: Number(row.start_seq), hash: row.start_hash };
  }

  prune(before: Date): Promise<{ readonly removed: number; readonly checkpoint: ChainHead }> {
    return this.b.write(async (trx) => {
      await this.lockHead(trx);
      const start = await trx
        .selectFrom('audit_head')
        .select(['start_seq', 'start_hash'])
        .where('id', '=', 1)
        .executeTakeFirstOrThrow();
      // The kept chain starts at the first entry young enough: an old timestamp after it (a skewed clock) stays.
      const young = await trx
        .selectFrom('audit_log')
        .select((eb) => eb.fn.min('seq').as('seq'))
        .where('at_ms', '>=', before.getTime())
        .executeTakeFirst();
      const cut = young?.seq === null || young?.seq === undefined ? null : Number(young.seq);
      const last = await trx
        .selectFrom('audit_log')
        .select(['seq', 'hash'])
        .$if(cut !== null, (q) => q.where('seq', '<', cut as number))
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      const checkpoint = { seq: Number(start.start_seq), hash: start.start_hash };
      if (!last) return { removed: 0, checkpoint };
      const r = await trx.deleteFrom('audit_log').where('seq', '<=', Number(last.seq)).executeTakeFirst();
      const moved = { seq: Number(last.seq), hash: last.hash };
      await trx
        .updateTable('audit_head')
        .set({ start_seq: moved.seq, start_hash: moved.hash })
        .where('id', '=', 1)
        .execute();
      return { removed: Number(r.numDeletedRows), checkpoint: moved };
    });
  }

  /** The head row, locked until the transaction ends. */
  private async lockHead(trx: Trx): Promise<ChainHead> {
    const row = await trx
      .selectFrom('audit_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .$if(this.b.forUpdate, (q) => q.forUpdate())
      .executeTakeFirstOrThrow();
    return { seq: Number(row.seq), hash: row.hash };
  }

  private async insert(trx: Trx, head: ChainHead, record: AuditRecord): Promise<AuditEntry> {
    const entry = sealEntry(head, record);
    await trx
      .insertInto('audit_log')
      .values({
        seq: entry.seq,
        at_ms: Date.parse(entry.at),
        event: entry.event,
        server: entry.server ?? null,
        job_id: entry.job_id ?? null,
        hash: entry.hash,
        entry: canonicalJson(entry),
      })
      .execute();
    await trx.updateTable('audit_head').set({ seq: entry.seq, hash: entry.hash }).where('id', '=', 1).execute();
    return entry;
  }
}

/**
 * An entry as stored. A row whose text is not JSON any more is passed on as what it is, so that the verifier names
 * it (as malformed) instead of the read failing.
 */
function parseEntry(seq: number, text: string): AuditEntry {
  try {
    return JSON.parse(text) as AuditEntry;
  } catch {
    return { seq, unreadable: text.slice(0, 200) } as unknown as AuditEntry;
  }
}
