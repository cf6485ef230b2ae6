import type { ReadOptions, ReadResult } from '../store/contract.js';
import type { DecodedLine, LogLine } from './format.js';
import { readRemoval } from './removal.js';
import {
  firstLine,
  lastLine,
  lastSeq as segmentLastSeq,
  listSegments,
  scanBackward,
  scanForward,
  segmentBytes,
} from './segments.js';
import { gapMarker, lineFilter, withGaps } from './view.js';

export interface FileReadOptions extends ReadOptions {
  /** Bytes of log scanned at most per read, so a filter over a huge log answers quickly with has_more. */
  readonly scanBudgetBytes?: number;
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
export function readLog(dir: string, opts: FileReadOptions): ReadResult {
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
  const want = lineFilter(opts);
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

/** A marker line for the gap between the head and the rolling tail of a capped log. */
export function capMarker(dir: string): LogLine | undefined {
  const segs = listSegments(dir);
  if (segs.length < 2) return undefined;
  return gapMarker(lastLine(segs[0] as string), firstLine(segs[1] as string));
}
