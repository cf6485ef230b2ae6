import fs from 'node:fs';
import path from 'node:path';
import type { DecodedLine } from './format.js';
import { indexPath, lastSeqOf } from './records.js';
import { IndexedSegment } from './segment-index.js';

/** A job log is a head segment plus rolling tail segments; this lists them (their .log files) in order. */
export function listSegments(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const tails = names
    .filter((n) => /^tail-\d+\.log$/.test(n))
    .sort((a, b) => Number(a.slice(5, -4)) - Number(b.slice(5, -4)));
  return [...(names.includes('head.log') ? ['head.log'] : []), ...tails].map((n) => path.join(dir, n));
}

/** Bytes a segment takes on disk, index included. */
export function segmentBytes(file: string): number {
  return fileSize(file) + fileSize(indexPath(file));
}

export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function withSegment(file: string, fn: (seg: IndexedSegment) => void): void {
  const seg = IndexedSegment.open(file, indexPath(file));
  if (!seg) return;
  try {
    fn(seg);
  } finally {
    seg.close();
  }
}

/**
 * Visits a segment's complete lines newest first, until `visit` returns false. `back` is how many bytes of the
 * segment lie between the line's start and the segment's end (what a budgeted scan has read).
 */
export function scanBackward(file: string, visit: (line: DecodedLine, back: number) => boolean): void {
  withSegment(file, (seg) => seg.scanBackward(visit));
}

/** Visits a segment's lines with seq > `after` in order (found by binary search), until `visit` returns false. */
export function scanForward(file: string, after: number, visit: (line: DecodedLine) => boolean): void {
  withSegment(file, (seg) => seg.scanForward(after, visit));
}

/** The seq of a segment's newest complete line (0 for none), from its last index entry alone. */
export function lastSeq(file: string): number {
  let seq = 0;
  withSegment(file, (seg) => {
    const e = seg.last();
    seq = e ? lastSeqOf(e) : 0;
  });
  return seq;
}

/** The newest complete line of a segment. */
export function lastLine(file: string): DecodedLine | undefined {
  let last: DecodedLine | undefined;
  scanBackward(file, (l) => ((last = l), false));
  return last;
}

/** The oldest line of a segment. */
export function firstLine(file: string): DecodedLine | undefined {
  let first: DecodedLine | undefined;
  scanForward(file, 0, (l) => ((first = l), false));
  return first;
}
