import type { DecodedLine } from '../../log/format.js';
import {
  ENTRY_BYTES,
  forEachLine,
  forEachLineBackward,
  lastSeqOf,
  readEntry,
  type RecordEntry,
} from '../../log/records.js';
import type { PostgresBackend } from './backend.js';

export interface Chunk {
  readonly first_seq: number;
  readonly last_seq: number;
  readonly segment: number;
  readonly data: Buffer;
  readonly entries: Buffer;
}

function entriesOf(c: Chunk): RecordEntry[] {
  const out: RecordEntry[] = [];
  for (let p = 0; p + ENTRY_BYTES <= c.entries.length; p += ENTRY_BYTES) {
    const e = readEntry(c.entries, p);
    if (!e || e.start + e.bytes > c.data.length) break; // never written so: stop rather than misread
    out.push(e);
  }
  return out;
}

/** A chunk's lines with seq > `after` in order, until `visit` returns false; answers whether it ran to the end. */
export function chunkForward(c: Chunk, after: number, visit: (l: DecodedLine) => boolean): boolean {
  for (const e of entriesOf(c)) {
    if (lastSeqOf(e) <= after) continue;
    const payload = c.data.subarray(e.start, e.start + e.bytes);
    if (!forEachLine(e, payload, Math.max(0, after + 1 - e.firstSeq), (l) => visit(l))) return false;
  }
  return true;
}

/** A chunk's lines newest first, until `visit` returns false; answers whether it ran to the start. */
export function chunkBackward(c: Chunk, visit: (l: DecodedLine) => boolean): boolean {
  const es = entriesOf(c);
  for (let i = es.length - 1; i >= 0; i--) {
    const e = es[i]!;
    if (!forEachLineBackward(e, c.data.subarray(e.start, e.start + e.bytes), (l) => visit(l))) return false;
  }
  return true;
}

const COLUMNS = ['first_seq', 'last_seq', 'segment', 'data', 'entries'] as const;

/** Chunks holding lines after `after`, oldest first, fetched a few at first and more as a scan goes on. */
export async function* chunksForward(b: PostgresBackend, jobId: string, after: number): AsyncGenerator<Chunk> {
  // Chunks hold consecutive seqs: the one holding line after+1 starts at or before it, and every later one after it.
  const first = await b.read((db) =>
    db
      .selectFrom('log_chunks')
      .select((eb) => eb.fn.max<number>('first_seq').as('m'))
      .where('job_id', '=', jobId)
      .where('first_seq', '<=', after + 1)
      .executeTakeFirst(),
  );
  let from = Number(first?.m ?? 0) - 1;
  for (let n = 2; ; n = Math.min(64, n * 4)) {
    const rows = await b.read((db) =>
      db
        .selectFrom('log_chunks')
        .select(COLUMNS)
        .where('job_id', '=', jobId)
        .where('first_seq', '>', from)
        .orderBy('first_seq')
        .limit(n)
        .execute(),
    );
    for (const r of rows) if (r.last_seq > after) yield r;
    if (rows.length < n) return;
    from = rows.at(-1)!.first_seq;
  }
}

/** Chunks newest first, fetched a few at first and more as a scan goes on. */
export async function* chunksBackward(b: PostgresBackend, jobId: string): AsyncGenerator<Chunk> {
  let before = Number.MAX_SAFE_INTEGER;
  for (let n = 2; ; n = Math.min(64, n * 4)) {
    const rows = await b.read((db) =>
      db
        .selectFrom('log_chunks')
        .select(COLUMNS)
        .where('job_id', '=', jobId)
        .where('first_seq', '<', before)
        .orderBy('first_seq', 'desc')
        .limit(n)
        .execute(),
    );
    for (const r of rows) yield r;
    if (rows.length < n) return;
    before = rows.at(-1)!.first_seq;
  }
}

/** The last line of the head and the first of the tail, when the log was capped. */
export async function capEdges(
  b: PostgresBackend,
  jobId: string,
): Promise<{ headLast: DecodedLine | undefined; tailFirst: DecodedLine | undefined }> {
  const [head, tail] = await b.read((db) =>
    Promise.all([
      db
        .selectFrom('log_chunks')
        .select(COLUMNS)
        .where('job_id', '=', jobId)
        .where('segment', '=', 0)
        .orderBy('first_seq', 'desc')
        .limit(1)
        .executeTakeFirst(),
      db
        .selectFrom('log_chunks')
        .select(COLUMNS)
        .where('job_id', '=', jobId)
        .where('segment', '>=', 1)
        .orderBy('first_seq')
        .limit(1)
        .executeTakeFirst(),
    ]),
  );
  let headLast: DecodedLine | undefined;
  let tailFirst: DecodedLine | undefined;
  if (head && tail) {
    chunkBackward(head, (l) => ((headLast = l), false));
    chunkForward(tail, 0, (l) => ((tailFirst = l), false));
  }
  return { headLast, tailFirst };
}
