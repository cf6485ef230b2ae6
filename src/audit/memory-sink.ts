import { GENESIS, sealEntry, type ChainHead } from './chain.js';
import type { AuditEntry, AuditRecord } from './entry.js';
import type { AuditPage, AuditReadOptions, AuditSink, OutcomeSink } from './sink.js';

const MAX_PAGE = 1000;

/**
 * FOR TESTS ONLY: an AuditSink in one process's memory, gone when it exits. It exists to run the contract suite
 * and to test callers; production audit entries belong in the SQL store. `tamper` gives tests direct access to
 * the stored entries, to edit, remove or reorder them as an attacker with the database would.
 */
export class InMemoryAuditSinkForTests implements AuditSink, OutcomeSink {
  private entries: AuditEntry[] = [];
  private start: ChainHead = GENESIS;

  append(record: AuditRecord): Promise<AuditEntry> {
    // Reading the head and storing the entry happen in one synchronous step: nothing can interleave.
    const entry = sealEntry(this.headNow(), record);
    this.entries.push(entry);
    return Promise.resolve(entry);
  }

  appendOutcome(record: AuditRecord & { readonly job_id: string }): Promise<AuditEntry | undefined> {
    if (this.entries.some((e) => e.event === 'outcome' && e.job_id === record.job_id))
      return Promise.resolve(undefined);
    return this.append(record);
  }

  jobsWithoutOutcome(since: Date, limit: number): Promise<string[]> {
    const done = new Set(this.entries.filter((e) => e.event === 'outcome').map((e) => e.job_id));
    const ids = this.entries
      .filter((e) => e.event === 'tool-call' && e.job_id && !done.has(e.job_id) && Date.parse(e.at) >= since.getTime())
      .map((e) => e.job_id as string);
    return Promise.resolve(ids.slice(0, limit));
  }

  read(options: AuditReadOptions = {}): Promise<AuditPage> {
    const after = options.after ?? 0;
    const limit = Math.min(Math.max(options.limit ?? 100, 1), MAX_PAGE);
    const since = options.since?.getTime();
    const entries: AuditEntry[] = [];
    for (const e of this.entries) {
      if (entries.length >= limit) break;
      if (e.seq <= after) continue;
      if (options.server !== undefined && e.server !== options.server) continue;
      if (since !== undefined && Date.parse(e.at) < since) continue;
      entries.push(e);
    }
    return Promise.resolve({ entries, next: entries.at(-1)?.seq ?? after });
  }

  head(): Promise<ChainHead> {
    return Promise.resolve(this.headNow());
  }

  checkpoint(): Promise<ChainHead> {
    return Promise.resolve(this.start);
  }

  prune(before: Date): Promise<{ removed: number; checkpoint: ChainHead }> {
    let n = 0;
    while (n < this.entries.length && Date.parse(this.entries[n]!.at) < before.getTime()) n++;
    if (n > 0) {
      const last = this.entries[n - 1]!;
      this.start = { seq: last.seq, hash: last.hash };
      this.entries = this.entries.slice(n);
    }
    return Promise.resolve({ removed: n, checkpoint: this.start });
  }

  /** The stored entries, to change in place as a test of the verifier. */
  tamper(edit: (entries: AuditEntry[]) => AuditEntry[] | void): void {
    const replaced = edit(this.entries);
    if (replaced) this.entries = replaced;
  }

  private headNow(): ChainHead {
    const last = this.entries.at(-1);
    return last ? { seq: last.seq, hash: last.hash } : this.start;
  }
}
