import { entryHash, GENESIS, type ChainHead } from './chain.js';
import { auditEntrySchema, type AuditEntry } from './entry.js';

export type ChainProblemKind = 'edited' | 'removed' | 'reordered' | 'malformed' | 'rewritten';

export interface ChainProblem {
  readonly kind: ChainProblemKind;
  /** The seq of the entry named, when there is one. */
  readonly seq: number | null;
  /** Where the entry named sits in the walk, counting from 0. */
  readonly position: number;
  readonly message: string;
}

export type VerifyResult =
  | { readonly ok: true; readonly count: number; readonly head: ChainHead }
  | { readonly ok: false; readonly count: number; readonly problem: ChainProblem };

export interface VerifyOptions {
  /** Where the kept chain starts: GENESIS, or the checkpoint retention left. */
  readonly start?: ChainHead;
  /**
   * A head recorded somewhere else earlier (printed, exported, another store). The chain alone cannot show that
   * someone rewrote every hash after an edit, or cut entries off its end; an anchor can.
   */
  readonly anchor?: ChainHead;
}

/**
 * Walks entries in the order given and names the first that was edited, removed, reordered or does not parse.
 * Reads each entry once; after a gap it reads on (seq numbers only) to tell a removal from a move.
 */
export async function verifyChain(
  entries: Iterable<unknown> | AsyncIterable<unknown>,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const start = options.start ?? GENESIS;
  let last: ChainHead = start;
  let position = 0;
  let anchorSeen = options.anchor === undefined || options.anchor.seq <= start.seq;
  const it = iterate(entries);
  const fail = (kind: ChainProblemKind, seq: number | null, message: string, at = position): VerifyResult => ({
    ok: false,
    count: position,
    problem: { kind, seq, position: at, message },
  });
  for (let next = await it.next(); !next.done; next = await it.next(), position++) {
    const parsed = auditEntrySchema.safeParse(next.value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail(
        'malformed',
        seqOf(next.value),
        `entry at position ${position} is not an audit entry (${issue?.path.join('.') || 'entry'}: ${issue?.message})`,
      );
    }
    const e = parsed.data as AuditEntry;
    const { hash, prev_hash, ...body } = e;
    if (entryHash(prev_hash, body) !== hash) {
      return fail('edited', e.seq, `entry ${e.seq} was edited: its content no longer matches its hash`);
    }
    if (e.seq <= last.seq) {
      return fail(
        'reordered',
        e.seq,
        `entry ${e.seq} appears after entry ${last.seq}: entries were reordered or copied`,
      );
    }
    if (e.seq > last.seq + 1) {
      const missing = { from: last.seq + 1, to: e.seq - 1 };
      const movedTo = await findLater(it, missing, position + 1);
      const range =
        missing.from === missing.to ? `entry ${missing.from} is` : `entries ${missing.from} to ${missing.to} are`;
      if (movedTo) {
        return fail(
          'reordered',
          movedTo.seq,
          `entry ${movedTo.seq} is out of order: it should come before entry ${e.seq} but is at position ${movedTo.position}`,
          movedTo.position,
        );
      }
      return fail(
        'removed',
        missing.from,
        `${range} missing: the chain jumps from entry ${last.seq} to entry ${e.seq}`,
      );
    }
    if (prev_hash !== last.hash) {
      return last.seq === start.seq
        ? fail(
            'removed',
            e.seq,
            `entry ${e.seq} does not follow the chain's start (seq ${start.seq}): the start was cut or replaced`,
          )
        : fail(
            'edited',
            last.seq,
            `entry ${e.seq} does not chain to entry ${last.seq}: entry ${last.seq} was replaced, or entries before ${e.seq} were removed and the rest renumbered`,
          );
    }
    last = { seq: e.seq, hash };
    if (options.anchor && e.seq === options.anchor.seq) {
      if (hash !== options.anchor.hash) {
        return fail(
          'rewritten',
          e.seq,
          `entry ${e.seq} does not match the anchor recorded earlier: the chain up to it was rewritten`,
        );
      }
      anchorSeen = true;
    }
  }
  if (!anchorSeen) {
    return fail(
      'removed',
      options.anchor!.seq,
      `the chain ends at entry ${last.seq}, before the anchored entry ${options.anchor!.seq}: entries were cut off its end`,
    );
  }
  return { ok: true, count: position, head: last };
}

function iterate(entries: Iterable<unknown> | AsyncIterable<unknown>): AsyncIterator<unknown> | Iterator<unknown> {
  return Symbol.asyncIterator in entries ? entries[Symbol.asyncIterator]() : entries[Symbol.iterator]();
}

/** Reads on after a gap for the first missing seq that turns up later, or null when none does. */
async function findLater(
  it: AsyncIterator<unknown> | Iterator<unknown>,
  missing: { from: number; to: number },
  position: number,
): Promise<{ seq: number; position: number } | null> {
  for (let next = await it.next(); !next.done; next = await it.next(), position++) {
    const seq = seqOf(next.value);
    if (seq !== null && seq >= missing.from && seq <= missing.to) return { seq, position };
  }
  return null;
}

function seqOf(value: unknown): number | null {
  const seq = (value as { seq?: unknown } | null)?.seq;
  return typeof seq === 'number' && Number.isInteger(seq) ? seq : null;
}
