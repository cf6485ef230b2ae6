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

/**
 * Splits one stream into lines by bytes, so every line knows the exact remote offset just after it:
 * the point a resumed follower continues from. A line longer than `maxLine` bytes is cut (deterministically).
 */
export class OffsetLineSplitter {
  private partial: Buffer[] = [];
  private partialLen = 0;

  constructor(
    public committed: number,
    private readonly onLine: (buf: Buffer, start: number, end: number, endOffset: number) => void,
    private readonly maxLine = 64 * 1024,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      if (this.partialLen === 0 && nl - start <= this.maxLine) {
        // Common case: the whole line is inside this chunk; hand out the range, no copy.
        this.committed += nl - start + 1;
        const end = nl > start && chunk[nl - 1] === 13 ? nl - 1 : nl;
        this.onLine(chunk, start, end, this.committed);
      } else {
        this.partial.push(chunk.subarray(start, nl));
        this.partialLen += nl - start;
        this.cutLongLines();
        this.emitPartial(1);
      }
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.partial.push(chunk.subarray(start));
      this.partialLen += chunk.length - start;
      this.cutLongLines();
    }
  }

  /**
   * Cuts pieces of exactly `maxLine` bytes off a line that is longer, wherever the chunk boundaries fell:
   * the same output always gives the same lines, so a resumed follower continues exactly where it stopped.
   */
  private cutLongLines(): void {
    while (this.partialLen > this.maxLine) {
      const all = Buffer.concat(this.partial);
      this.partial = [all.subarray(0, this.maxLine)];
      this.partialLen = this.maxLine;
      this.emitPartial(0);
      const rest = all.subarray(this.maxLine);
      this.partial = rest.length ? [rest] : [];
      this.partialLen = rest.length;
    }
  }

  /** At the end of the stream, a last line without a newline still counts. */
  end(): void {
    if (this.partialLen > 0) this.emitPartial(0);
  }

  private emitPartial(terminator: number): void {
    const buf = this.partial.length === 1 ? (this.partial[0] as Buffer) : Buffer.concat(this.partial);
    this.committed += buf.length + terminator;
    this.partial = [];
    this.partialLen = 0;
    // CRLF output reads as plain lines.
    const end = terminator && buf.length > 0 && buf[buf.length - 1] === 13 ? buf.length - 1 : buf.length;
    this.onLine(buf, 0, end, this.committed);
  }
}
