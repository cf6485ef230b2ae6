import type { ChainHead } from './chain.js';
import type { AuditEntry, AuditRecord } from './entry.js';
import { verifyChain, type VerifyOptions, type VerifyResult } from './verify.js';

/** Keep audit entries this long unless configured otherwise (apart from job retention). */
export const AUDIT_RETENTION_DAYS_DEFAULT = 365;

export interface AuditReadOptions {
  /** Entries with a seq greater than this; 0 (or absent) from the start of what is kept. */
  readonly after?: number;
  /** At most this many entries (the sink may cap it). */
  readonly limit?: number;
  /** Only entries about this server (for `deckhand audit tail --server`). */
  readonly server?: string;
  /** Only entries at or after this time (for `--since`). */
  readonly since?: Date;
}

export interface AuditPage {
  readonly entries: readonly AuditEntry[];
  /**
   * Pass as `after` to read on: the seq of the last entry returned, or the `after` given when none was. An empty
   * page means nothing more is stored yet; a follower (`audit tail -f`) polls again with the same cursor.
   */
  readonly next: number;
}

/**
 * Where audit entries live: implemented by the SQL stores (SQLite, PostgreSQL); in memory only for tests.
 *
 * Contract (tests/audit/sink-contract.ts runs it against every implementation):
 * - append() seals the record onto the current head and stores it as one atomic step: under a transaction that
 *   locks the head row (PostgreSQL: SELECT … FOR UPDATE; SQLite: BEGIN IMMEDIATE), or with a unique seq and a retry.
 *   Several instances appending at once never fork the chain or reuse a seq.
 * - Entries are never updated; read() returns them in seq order, paged by seq.
 * - prune() only removes a prefix of the chain (it stops at the first entry that is not old enough, so a skewed
 *   clock cannot punch holes) and remembers the last removed entry as the checkpoint verification starts from.
 */
export interface AuditSink {
  append(record: AuditRecord): Promise<AuditEntry>;
  read(options?: AuditReadOptions): Promise<AuditPage>;
  /** The last entry's seq and hash, or the checkpoint when nothing is kept after it. */
  head(): Promise<ChainHead>;
  /** Where the kept chain starts: GENESIS, or the last entry retention removed. */
  checkpoint(): Promise<ChainHead>;
  /** Removes entries older than `before` from the start of the chain. */
  prune(before: Date): Promise<{ readonly removed: number; readonly checkpoint: ChainHead }>;
}

/** What the SQL stores add to a sink for jobs: an outcome appended once per job, whichever instance records it. */
export interface OutcomeSink {
  /**
   * Appends the outcome entry of a job unless one naming that job is there already, decided under the append lock:
   * of several instances recording the same end, one appends. Undefined when it was already recorded.
   */
  appendOutcome(record: AuditRecord & { readonly job_id: string }): Promise<AuditEntry | undefined>;
  /**
   * Jobs named by a tool-call entry at or after `since` that have no outcome entry yet, oldest first: what a sweep
   * checks against the job store, for ends no instance could record (the store was away, the process died).
   */
  jobsWithoutOutcome(since: Date, limit: number): Promise<string[]>;
}

/** Every kept entry in seq order, page by page. */
export async function* readAll(sink: AuditSink, pageSize = 500): AsyncGenerator<AuditEntry> {
  let after = 0;
  for (;;) {
    const page = await sink.read({ after, limit: pageSize });
    if (page.entries.length === 0) return;
    yield* page.entries;
    after = page.next;
  }
}

/** `deckhand audit verify`: walks the whole kept chain from the sink's checkpoint. */
export async function verifySink(sink: AuditSink, options: Omit<VerifyOptions, 'start'> = {}): Promise<VerifyResult> {
  return verifyChain(readAll(sink), { ...options, start: await sink.checkpoint() });
}

/** The cut-off for prune() given a retention in days. */
export function retentionCutoff(now: Date, days: number = AUDIT_RETENTION_DAYS_DEFAULT): Date {
  return new Date(now.getTime() - days * 24 * 60 * 60 * 1000);
}
