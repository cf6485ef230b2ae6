import fs from 'node:fs';
import { decodeLine, type DecodedLine } from './log-format.js';

/*
 * Log format v1, read only: one self-describing text record per line (log-format.ts). Logs written by earlier
 * versions of deckhand are still read through these; new segments are written as v2 (log-records.ts).
 */

const CHUNK = 64 * 1024;

/** Reads complete lines backwards from `end`, calling `visit` newest first until it returns false. */
export function scanBackwardV1(fd: number, end: number, visit: (line: DecodedLine, start: number) => boolean): void {
  let pos = end;
  let carry = Buffer.alloc(0);
  while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, pos);
    let data = Buffer.concat([buf, carry]);
    let idx = data.length;
    // The last byte before `end` is a newline; walk newline to newline.
    for (;;) {
      // A negative fromIndex would search from the end of the buffer again: stop at its start instead.
      const nl = idx >= 2 ? data.lastIndexOf(10, idx - 2) : -1;
      if (nl < 0) break;
      const line = decodeLine(data.subarray(nl + 1, idx - 1).toString('utf8'));
      if (line && !visit(line, pos + nl + 1)) return;
      idx = nl + 1;
    }
    carry = data.subarray(0, idx);
    data = Buffer.alloc(0);
  }
  if (carry.length > 1) {
    const line = decodeLine(carry.subarray(0, carry.length - 1).toString('utf8'));
    if (line) visit(line, 0);
  }
}

/** Reads complete lines with seq > `after` forward, until `visit` returns false or the file ends. */
export function scanForwardV1(fd: number, size: number, after: number, visit: (line: DecodedLine) => boolean): void {
  let pos = seekAfter(fd, size, after);
  let carry = '';
  while (pos < size) {
    const len = Math.min(CHUNK * 4, size - pos);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, pos);
    pos += len;
    const text = carry + buf.toString('utf8');
    let i = 0;
    for (;;) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) break;
      const line = decodeLine(text.slice(i, nl));
      i = nl + 1;
      if (line && line.seq > after && !visit(line)) return;
    }
    carry = text.slice(i);
  }
}

/**
 * The seq and start of the first line that starts after byte `pos`. Only that line's header is read: a window
 * that had to hold the whole line would miss every line longer than half a chunk, and the search would then
 * fall back to scanning the file from its start.
 */
function lineAt(fd: number, pos: number, size: number): { seq: number; start: number } | undefined {
  let start = 0;
  if (pos > 0) {
    const nl = nextNewline(fd, pos, size);
    if (nl < 0) return undefined;
    start = nl + 1;
  }
  const head = Buffer.alloc(Math.min(32, size - start));
  if (head.length === 0) return undefined;
  fs.readSync(fd, head, 0, head.length, start);
  const tab = head.indexOf(9);
  if (tab <= 0) return undefined;
  const seq = Number(head.subarray(0, tab).toString('latin1'));
  return Number.isSafeInteger(seq) ? { seq, start } : undefined;
}

function nextNewline(fd: number, pos: number, size: number): number {
  const buf = Buffer.alloc(CHUNK);
  for (let p = pos; p < size; p += CHUNK) {
    const len = fs.readSync(fd, buf, 0, Math.min(CHUNK, size - p), p);
    const nl = buf.subarray(0, len).indexOf(10);
    if (nl >= 0) return p + nl;
    if (len === 0) break;
  }
  return -1;
}

/** Byte offset of the first line with seq > `after`, by binary search (seq grows along the file). */
function seekAfter(fd: number, size: number, after: number): number {
  let lo = 0;
  let hi = size;
  while (hi - lo > CHUNK) {
    const mid = Math.floor((lo + hi) / 2);
    const at = lineAt(fd, mid, size);
    if (!at || at.seq > after) hi = mid;
    else lo = at.start;
  }
  return lo;
}

/** Drops a line torn by a crash at the end of a v1 segment; returns the new size. */
export function truncateTornV1(fd: number, size: number): number {
  if (size === 0) return 0;
  const last = Buffer.alloc(1);
  fs.readSync(fd, last, 0, 1, size - 1);
  if (last[0] === 10) return size;
  let pos = size;
  let cut = 0;
  const buf = Buffer.alloc(CHUNK);
  while (pos > 0) {
    const len = Math.min(buf.length, pos);
    pos -= len;
    fs.readSync(fd, buf, 0, len, pos);
    const nl = buf.subarray(0, len).lastIndexOf(10);
    if (nl >= 0) {
      cut = pos + nl + 1;
      break;
    }
  }
  fs.ftruncateSync(fd, cut);
  return cut;
}
