import type { DecodedLine, LogStream, Offsets } from './format.js';

/**
 * Log format v2. A segment is two files: `<name>.log` holds the lines' bytes exactly as they came (each line and
 * its newline), and `<name>.idx` holds one fixed-size entry per record: a run of lines of one stream with one
 * timestamp. The entry says where the run's bytes are, its first seq and line count, and the remote offsets and
 * counters before and after it, so every line still has its own seq and resume offsets without a header of its own.
 *
 * Output bytes are never parsed as framing: readers find records through the index only, so no line can be
 * mistaken for a record however it looks, and a binary search over fixed-size entries needs no resync.
 *
 * Every line of a record except the last consumed exactly its length plus a newline on the remote side (its own
 * resume offset follows from the record's start offset); the last line may be anything (a CRLF line, a cut piece of
 * a long line, a line without a newline at the end), its offsets are the entry's.
 */
export const ENTRY_BYTES = 72;

export interface RecordEntry {
  /** Byte position of the record in the segment's .log file. */
  readonly start: number;
  /** Length of the record in the .log file: the lines and their newlines. */
  readonly bytes: number;
  readonly firstSeq: number;
  readonly count: number;
  readonly ts: number;
  readonly stream: LogStream;
  /** The remote offset of the record's stream before its first line (unused for system records). */
  readonly startOff: number;
  /** Offsets and counters after the record's last line. */
  readonly out: number;
  readonly err: number;
  readonly outN: number;
  readonly errN: number;
}

const STREAM_CODE: Record<LogStream, number> = { stdout: 0, stderr: 1, system: 2 };
const CODE_STREAM: readonly LogStream[] = ['stdout', 'stderr', 'system'];

/** The index beside a segment: head.log → head.idx. */
export function indexPath(segment: string): string {
  return segment.replace(/\.log$/, '.idx');
}

export function writeEntry(b: Buffer, p: number, e: RecordEntry): void {
  b.writeDoubleLE(e.start, p);
  b.writeDoubleLE(e.firstSeq, p + 8);
  b.writeDoubleLE(e.ts, p + 16);
  b.writeDoubleLE(e.startOff, p + 24);
  b.writeDoubleLE(e.out, p + 32);
  b.writeDoubleLE(e.err, p + 40);
  b.writeDoubleLE(e.outN, p + 48);
  b.writeDoubleLE(e.errN, p + 56);
  b.writeUInt32LE(e.bytes, p + 64);
  // 24 bits of line count (a record holds at most a few hundred KB), 8 of stream.
  b.writeUInt32LE((e.count & 0xffffff) | (STREAM_CODE[e.stream] << 24), p + 68);
}

/** Decodes an entry; undefined for bytes that cannot be one (a torn or foreign index). */
export function readEntry(b: Buffer, p: number): RecordEntry | undefined {
  const packed = b.readUInt32LE(p + 68);
  const stream = CODE_STREAM[packed >>> 24];
  const e: RecordEntry = {
    start: b.readDoubleLE(p),
    firstSeq: b.readDoubleLE(p + 8),
    ts: b.readDoubleLE(p + 16),
    startOff: b.readDoubleLE(p + 24),
    out: b.readDoubleLE(p + 32),
    err: b.readDoubleLE(p + 40),
    outN: b.readDoubleLE(p + 48),
    errN: b.readDoubleLE(p + 56),
    bytes: b.readUInt32LE(p + 64),
    count: packed & 0xffffff,
    stream: stream ?? 'system',
  };
  const whole = [e.start, e.firstSeq, e.out, e.err, e.outN, e.errN, e.startOff].every(
    (n) => Number.isSafeInteger(n) && n >= 0,
  );
  return stream && whole && e.count > 0 && e.bytes >= e.count && e.firstSeq > 0 ? e : undefined;
}

export const recordEnd = (e: RecordEntry): number => e.start + e.bytes;
export const lastSeqOf = (e: RecordEntry): number => e.firstSeq + e.count - 1;

/** The offsets after line `k` of a record, which ends at byte `nl` (its newline) of the record. */
function offsetsAt(e: RecordEntry, k: number, nl: number): Offsets {
  const back = e.count - 1 - k;
  if (back === 0 || e.stream === 'system') return { out: e.out, err: e.err, outN: e.outN, errN: e.errN };
  if (e.stream === 'stdout') return { out: e.startOff + nl + 1, err: e.err, outN: e.outN - back, errN: e.errN };
  return { out: e.out, err: e.startOff + nl + 1, outN: e.outN, errN: e.errN - back };
}

function lineAt(e: RecordEntry, payload: Buffer, k: number, from: number, nl: number): DecodedLine {
  return {
    seq: e.firstSeq + k,
    ts: e.ts,
    stream: e.stream,
    text: payload.toString('utf8', from, nl),
    off: offsetsAt(e, k, nl),
  };
}

/**
 * Visits a record's lines in order from line `first` (0-based), until `visit` returns false; returns whether it
 * ran to the end. A record of one line is that line whatever it holds (a system note may contain a newline).
 */
export function forEachLine(
  e: RecordEntry,
  payload: Buffer,
  first: number,
  visit: (l: DecodedLine, at: number) => boolean,
): boolean {
  if (e.count === 1) return first > 0 || visit(lineAt(e, payload, 0, 0, payload.length - 1), 0);
  let from = 0;
  for (let k = 0; k < e.count; k++) {
    let nl = payload.indexOf(10, from);
    if (nl < 0 || k === e.count - 1) nl = payload.length - 1;
    if (k >= first && !visit(lineAt(e, payload, k, from, nl), from)) return false;
    from = nl + 1;
  }
  return true;
}

/** Visits a record's lines newest first, until `visit` returns false; returns whether it ran to the start. */
export function forEachLineBackward(
  e: RecordEntry,
  payload: Buffer,
  visit: (l: DecodedLine, at: number) => boolean,
): boolean {
  if (e.count === 1) return visit(lineAt(e, payload, 0, 0, payload.length - 1), 0);
  let nl = payload.length - 1;
  for (let k = e.count - 1; k >= 0; k--) {
    // A negative fromIndex would search from the end again: the first line starts at 0.
    const prev = k === 0 || nl === 0 ? -1 : payload.lastIndexOf(10, nl - 1);
    const from = prev + 1;
    if (!visit(lineAt(e, payload, k, from, nl), from)) return false;
    nl = prev;
    if (nl < 0 && k > 0) return true; // fewer newlines than lines: a damaged record, nothing more to read
  }
  return true;
}
