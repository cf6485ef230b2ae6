/** Events decoded from the remote follower's framed stream (see remote-scripts.ts). */
export type FrameEvent =
  | { type: 'data'; stream: 'stdout' | 'stderr'; chunk: Buffer }
  | { type: 'pid'; pid: number }
  | { type: 'exit'; status: number }
  | { type: 'lost'; reason: string };

/** Incremental parser: feed it channel data in any chunking; it emits whole frames. */
export class FrameParser {
  private buf: Buffer = Buffer.alloc(0);
  private want: { stream: 'stdout' | 'stderr'; left: number } | undefined;

  constructor(private readonly emit: (e: FrameEvent) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.want) {
        if (this.buf.length === 0) return;
        const take = Math.min(this.want.left, this.buf.length);
        this.emit({ type: 'data', stream: this.want.stream, chunk: this.buf.subarray(0, take) });
        this.buf = this.buf.subarray(take);
        this.want.left -= take;
        if (this.want.left === 0) this.want = undefined;
        continue;
      }
      const nl = this.buf.indexOf(10);
      if (nl < 0) {
        if (this.buf.length > 256) throw new Error('remote follower sent a malformed frame header');
        return;
      }
      const header = this.buf.subarray(0, nl).toString('latin1');
      this.buf = this.buf.subarray(nl + 1);
      const [kind, arg = ''] = header.split(' ', 2);
      if (kind === 'O' || kind === 'E') {
        const n = Number(arg);
        if (!Number.isInteger(n) || n < 0) throw new Error(`bad frame length "${arg}"`);
        if (n > 0) this.want = { stream: kind === 'O' ? 'stdout' : 'stderr', left: n };
      } else if (kind === 'P') this.emit({ type: 'pid', pid: Number(arg) });
      else if (kind === 'X') this.emit({ type: 'exit', status: Number(arg.trim()) });
      else if (kind === 'L') this.emit({ type: 'lost', reason: arg.trim() });
      else throw new Error(`unknown frame "${header.slice(0, 40)}"`);
    }
  }
}

/** `count` whole lines: bytes [start, end) of `buf` with their newlines; `endOffset` is the remote offset after them. */
export type OnLines = (buf: Buffer, start: number, end: number, count: number, endOffset: number) => void;

/**
 * Splits one stream into lines by bytes, so every line knows the exact remote offset just after it: the point a
 * resumed follower continues from. A line longer than `maxLine` bytes is cut into pieces of exactly `maxLine` bytes
 * (the last piece ends at the newline), however the chunks fell, so the same output always gives the same lines.
 *
 * With `onLines`, runs of plain lines inside a chunk (no CR before the newline, not cut) are handed over whole,
 * which costs one byte loop per chunk instead of a call per line; every other line goes to `onLine`, text only
 * (a CR before the newline dropped: CRLF output reads as plain lines, but the CR counts in the offsets).
 */
export class OffsetLineSplitter {
  /** The start of a line that began in an earlier chunk, at most `maxLine` bytes plus one. */
  private partial: Buffer | undefined;
  private partialLen = 0;

  constructor(
    public committed: number,
    private readonly onLine: (buf: Buffer, start: number, end: number, endOffset: number) => void,
    private readonly maxLine = 64 * 1024,
    private readonly onLines?: OnLines,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    if (this.partialLen > 0) {
      const nl = chunk.indexOf(10);
      this.append(chunk, 0, nl < 0 ? chunk.length : nl);
      if (nl < 0) return;
      this.emitPartial();
      start = nl + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last >= start) {
      this.lines(chunk, start, last + 1);
      start = last + 1;
    }
    if (start < chunk.length) this.append(chunk, start, chunk.length);
  }

  /** Complete lines [from, to) of a chunk (`to` is just after a newline). */
  private lines(b: Buffer, from: number, to: number): void {
    const max = this.maxLine;
    // No CR in the range and no room for a line that is too long: one run, only newlines to count.
    const cr = b.indexOf(13, from);
    if (to - from <= max + 1 && (cr < 0 || cr >= to)) return this.run(b, from, to, countNewlines(b, from, to));
    let runStart = from;
    let lineStart = from;
    let count = 0;
    for (let i = from; i < to; i++) {
      if (b[i] !== 10) continue;
      if ((i === lineStart || b[i - 1] !== 13) && i - lineStart <= max) count++;
      else {
        this.run(b, runStart, lineStart, count);
        count = 0;
        this.special(b, lineStart, i);
        runStart = i + 1;
      }
      lineStart = i + 1;
    }
    this.run(b, runStart, to, count);
  }

  private run(b: Buffer, start: number, end: number, count: number): void {
    if (count === 0) return;
    if (this.onLines) {
      this.committed += end - start;
      this.onLines(b, start, end, count, this.committed);
      return;
    }
    for (let p = start; p < end;) {
      const nl = b.indexOf(10, p);
      this.committed += nl - p + 1;
      this.onLine(b, p, nl, this.committed);
      p = nl + 1;
    }
  }

  /** A line [start, nl) that is cut, has a CR before its newline, or both. */
  private special(b: Buffer, start: number, nl: number): void {
    let p = start;
    for (; nl - p > this.maxLine; p += this.maxLine) {
      this.committed += this.maxLine;
      this.onLine(b, p, p + this.maxLine, this.committed);
    }
    this.committed += nl - p + 1;
    this.onLine(b, p, nl > p && b[nl - 1] === 13 ? nl - 1 : nl, this.committed);
  }

  /** Adds bytes of an unfinished line, handing out `maxLine` pieces as soon as more than that is held. */
  private append(b: Buffer, start: number, end: number): void {
    const max = this.maxLine;
    this.partial ??= Buffer.allocUnsafe(max + 1);
    while (start < end) {
      const n = Math.min(end - start, max + 1 - this.partialLen);
      b.copy(this.partial, this.partialLen, start, start + n);
      this.partialLen += n;
      start += n;
      if (this.partialLen > max) {
        // More than maxLine bytes without a newline: the first maxLine of them are a piece of their own.
        this.committed += max;
        this.onLine(this.partial, 0, max, this.committed);
        this.partial.copy(this.partial, 0, max, this.partialLen);
        this.partialLen -= max;
      }
    }
  }

  /** At the end of the stream, a last line without a newline still counts. */
  end(): void {
    if (this.partialLen === 0) return;
    this.committed += this.partialLen;
    const len = this.partialLen;
    this.partialLen = 0;
    this.onLine(this.partial as Buffer, 0, len, this.committed);
  }

  /** The held line ends at a newline. */
  private emitPartial(): void {
    const p = this.partial as Buffer;
    const len = this.partialLen;
    this.partialLen = 0;
    this.committed += len + 1;
    this.onLine(p, 0, len > 0 && p[len - 1] === 13 ? len - 1 : len, this.committed);
  }
}

/**
 * Newlines in bytes [from, to), four bytes at a time without a branch per byte (a byte loop mispredicts on every
 * short line): in each 32-bit word, a byte equal to 10 becomes zero after the XOR, and the carry trick sets the top
 * bit of exactly the zero bytes.
 */
export function countNewlines(b: Buffer, from: number, to: number): number {
  let n = 0;
  let i = from;
  const base = b.byteOffset;
  for (; i < to && ((base + i) & 3) !== 0; i++) if (b[i] === 10) n++;
  const words = (to - i) >> 2;
  if (words > 0) {
    const w32 = new Uint32Array(b.buffer, base + i, words);
    for (let k = 0; k < words; k++) {
      const x = (w32[k] as number) ^ 0x0a0a0a0a;
      const zeros = ~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x) & 0x80808080;
      n += Math.imul(zeros >>> 7, 0x01010101) >>> 24;
    }
    i += words << 2;
  }
  for (; i < to; i++) if (b[i] === 10) n++;
  return n;
}
