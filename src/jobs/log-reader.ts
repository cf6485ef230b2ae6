import { omittedMarker } from '../format.js';
import type { DecodedLine } from './log-format.js';
import type { LogLine } from './log-format.js';
import { readRemoval, type LogRemoval } from './log-removal.js';
import {
  firstLine,
  lastLine,
  lastSeq as segmentLastSeq,
  listSegments,
  scanBackward,
  scanForward,
  segmentBytes,
} from './log-segments.js';

export interface ReadOptions {
  /** Lines after this seq (exclusive); without it, the last `limit` lines. */
  readonly cursor?: number | undefined;
  readonly limit: number;
  readonly stream?: 'all' | 'stdout' | 'stderr';
  readonly grep?: RegExp | undefined;
  /** Bytes of log scanned at most per read, so a filter over a huge log answers quickly with has_more. */
  readonly scanBudgetBytes?: number;
}

export interface ReadResult {
  readonly lines: LogLine[];
  /** Pass back as `cursor` to continue after the last line returned (or scanned). */
  readonly next_cursor: number;
  readonly has_more: boolean;
  readonly total_lines: number;
  readonly log_bytes: number;
  /** True when a filtered tail read stopped at its scan budget before finding `limit` lines. */
  readonly truncated?: boolean;
  /** Set when retention removed the log: what it held, when and why it went. */
  readonly removed?: LogRemoval;
}

interface Segment {
  file: string;
  /** Bytes on disk, index included. */
  size: number;
}

function segments(dir: string): Segment[] {
  return listSegments(dir).map((file) => ({ file, size: segmentBytes(file) }));
}

function lastSeq(segs: Segment[]): number {
  for (let i = segs.length - 1; i >= 0; i--) {
    const s = segs[i] as Segment;
    if (s.size === 0) continue;
    const seq = segmentLastSeq(s.file);
    if (seq) return seq;
  }
  return 0;
}

/** Reads a job log in pages, never the whole file: tails walk back from the end, cursors binary-search by seq. */
export function readLog(dir: string, opts: ReadOptions): ReadResult {
  const segs = segments(dir);
  if (segs.length === 0) {
    const removed = readRemoval(dir);
    if (removed)
      return {
        lines: [],
        next_cursor: Math.max(opts.cursor ?? 0, removed.total_lines),
        has_more: false,
        total_lines: removed.total_lines,
        log_bytes: 0,
        removed,
      };
  }
  const total = lastSeq(segs);
  const log_bytes = segs.reduce((n, s) => n + s.size, 0);
  const budget = opts.scanBudgetBytes ?? 32 * 1024 * 1024;
  const want = (l: DecodedLine) =>
    (opts.stream === undefined || opts.stream === 'all' || l.stream === opts.stream || l.stream === 'system') &&
    (!opts.grep || opts.grep.test(l.text));
  if (opts.limit === 0)
    return {
      lines: [],
      next_cursor: opts.cursor ?? total,
      has_more: (opts.cursor ?? total) < total,
      total_lines: total,
      log_bytes,
    };
  // Only a read that returns lines needs the marker (reading it costs a look at both sides of the gap).
  const marker = segs.length > 1 ? capMarker(dir) : undefined;

  if (opts.cursor === undefined) {
    const picked: DecodedLine[] = [];
    let scanned = 0;
    let exhausted = true;
    for (let i = segs.length - 1; i >= 0 && picked.length < opts.limit; i--) {
      const s = segs[i] as Segment;
      scanBackward(s.file, (l, back) => {
        scanned = back;
        if (want(l)) picked.push(l);
        if (scanned > budget) exhausted = false;
        return picked.length < opts.limit && scanned <= budget;
      });
    }
    picked.reverse();
    return {
      lines: withGaps(picked, marker),
      next_cursor: total,
      has_more: false,
      total_lines: total,
      log_bytes,
      truncated: !exhausted,
    };
  }

  const after = opts.cursor;
  const picked: DecodedLine[] = [];
  let lastScanned = after;
  let scanned = 0;
  let stoppedEarly = false;
  for (const s of segs) {
    if (picked.length >= opts.limit || stoppedEarly) break;
    scanForward(s.file, after, (l) => {
      scanned += l.text.length + 24;
      lastScanned = l.seq;
      if (want(l)) picked.push(l);
      if (picked.length >= opts.limit || scanned > budget) {
        stoppedEarly = true;
        return false;
      }
      return true;
    });
  }
  return {
    lines: withGaps(picked, marker, after),
    next_cursor: lastScanned,
    has_more: lastScanned < total,
    total_lines: total,
    log_bytes,
  };
}

/** Where the log was capped, a system line between head and tail says how much was dropped. */
function withGaps(lines: DecodedLine[], marker: LogLine | undefined, after?: number): LogLine[] {
  const out: LogLine[] = [];
  // A cursor page starts after `after`: the gap may lie between the previous page and this one.
  let prev = after !== undefined && after > 0 ? after : undefined;
  for (const l of lines) {
    if (marker && prev !== undefined && prev <= marker.seq && l.seq > marker.seq) out.push(marker);
    out.push({ seq: l.seq, ts: l.ts, stream: l.stream, text: l.text });
    prev = l.seq;
  }
  return out;
}

/** A marker line for the gap between the head and the rolling tail of a capped log. */
export function capMarker(dir: string): LogLine | undefined {
  const segs = segments(dir);
  if (segs.length < 2) return undefined;
  const headLast = lastLine((segs[0] as Segment).file);
  const tailFirst = firstLine((segs[1] as Segment).file);
  if (!headLast || !tailFirst || tailFirst.seq - headLast.seq <= 1) return undefined;
  const lines = tailFirst.seq - headLast.seq - 1;
  // A line's offsets are those just after it: the first tail line's own bytes are not part of the gap.
  const own = tailFirst.stream === 'system' ? 0 : Buffer.byteLength(tailFirst.text) + 1;
  const bytes = tailFirst.off.out + tailFirst.off.err - own - (headLast.off.out + headLast.off.err);
  return { seq: headLast.seq, ts: tailFirst.ts, stream: 'system', text: omittedMarker(lines, Math.max(0, bytes)) };
}
