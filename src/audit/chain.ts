import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical.js';
import type { AuditEntry, AuditRecord } from './entry.js';

/** The prev_hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** Where a chain ends (or, after retention, where the kept part starts): the last seq and its hash. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

export const GENESIS: ChainHead = Object.freeze({ seq: 0, hash: GENESIS_HASH });

/** The hash of an entry: sha256 over the previous hash followed by the canonical form of everything else. */
export function entryHash(prevHash: string, entry: Omit<AuditEntry, 'hash' | 'prev_hash'>): string {
  return createHash('sha256').update(prevHash).update(canonicalJson(entry)).digest('hex');
}

/** Makes the next entry of a chain from a record. Pure: the sink calls it with the head it holds under its lock. */
export function sealEntry(head: ChainHead, record: AuditRecord): AuditEntry {
  const body = { ...withoutUndefined(record), seq: head.seq + 1 };
  return Object.freeze({ ...body, prev_hash: head.hash, hash: entryHash(head.hash, body) });
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
