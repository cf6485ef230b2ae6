import fs from 'node:fs';
import path from 'node:path';
import { decodeLine, type DecodedLine } from './log-format.js';

/** A job log is a head segment plus rolling tail segments; this lists them in order. */
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

const CHUNK = 64 * 1024;

/** Reads complete lines backwards from `end`, calling `visit` newest first until it returns false. */
export function scanBackward(fd: number, end: number, visit: (line: DecodedLine, start: number) => boolean): void {
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

/** Reads complete lines forward from byte `start`, until `visit` returns false or the file ends. */
export function scanForward(fd: number, start: number, size: number, visit: (line: DecodedLine) => boolean): void {
  let pos = start;
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
      if (line && !visit(line)) return;
    }
    carry = text.slice(i);
  }
}

/** First line starting at or after byte `pos` (pos is moved to the next line start). */
function lineAt(fd: number, pos: number, size: number): { line: DecodedLine; start: number } | undefined {
  const buf = Buffer.alloc(Math.min(CHUNK, size - pos));
  if (buf.length === 0) return undefined;
  fs.readSync(fd, buf, 0, buf.length, pos);
  let s = 0;
  if (pos > 0) {
    const nl = buf.indexOf(10);
    if (nl < 0) return undefined;
    s = nl + 1;
  }
  const e = buf.indexOf(10, s);
  if (e < 0) return undefined;
  const line = decodeLine(buf.subarray(s, e).toString('utf8'));
  return line ? { line, start: pos + s } : undefined;
}

/** Byte offset of the first line with seq > `after`, by binary search (seq grows along the file). */
export function seekAfter(fd: number, size: number, after: number): number {
  let lo = 0;
  let hi = size;
  while (hi - lo > CHUNK) {
    const mid = Math.floor((lo + hi) / 2);
    const at = lineAt(fd, mid, size);
    if (!at || at.line.seq > after) hi = mid;
    else lo = at.start;
  }
  return lo;
}
