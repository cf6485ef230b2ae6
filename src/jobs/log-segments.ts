import fs from 'node:fs';
import path from 'node:path';
import type { DecodedLine } from './log-format.js';
import { IndexedSegment } from './log-index.js';
import { scanBackwardV1, scanForwardV1 } from './log-legacy.js';
import { indexPath, lastSeqOf } from './log-records.js';

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

/**
 * A v2 segment has an index beside it (the writer creates it before the first byte of the .log); a segment without
 * one holding data was written by an earlier version in format v1.
 */
export function isLegacySegment(file: string): boolean {
  return !fs.existsSync(indexPath(file)) && fileSize(file) > 0;
}

/** Bytes a segment takes on disk, index included. */
export function segmentBytes(file: string): number {
  return fileSize(file) + fileSize(indexPath(file));
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * Visits a segment's complete lines newest first, until `visit` returns false. `back` is how many bytes of the
 * segment lie between the line's start and the segment's end (what a budgeted scan has read).
 */
export function scanBackward(file: string, visit: (line: DecodedLine, back: number) => boolean): void {
  if (isLegacySegment(file)) {
    withFd(file, (fd) => {
      const size = fs.fstatSync(fd).size;
      scanBackwardV1(fd, size, (l, start) => visit(l, size - start));
    });
    return;
  }
  const seg = IndexedSegment.open(file, indexPath(file));
  if (!seg) return;
  try {
    seg.scanBackward(visit);
  } finally {
    seg.close();
  }
}

/** Visits a segment's lines with seq > `after` in order (found by binary search), until `visit` returns false. */
export function scanForward(file: string, after: number, visit: (line: DecodedLine) => boolean): void {
  if (isLegacySegment(file)) {
    withFd(file, (fd) => scanForwardV1(fd, fs.fstatSync(fd).size, after, visit));
    return;
  }
  const seg = IndexedSegment.open(file, indexPath(file));
  if (!seg) return;
  try {
    seg.scanForward(after, visit);
  } finally {
    seg.close();
  }
}

/** The seq of a segment's newest complete line (0 for none): for v2 from its last index entry alone. */
export function lastSeq(file: string): number {
  if (isLegacySegment(file)) return lastLine(file)?.seq ?? 0;
  const seg = IndexedSegment.open(file, indexPath(file));
  if (!seg) return 0;
  try {
    const e = seg.last();
    return e ? lastSeqOf(e) : 0;
  } finally {
    seg.close();
  }
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

function withFd(file: string, fn: (fd: number) => void): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return;
  }
  try {
    fn(fd);
  } finally {
    fs.closeSync(fd);
  }
}
