import { omittedMarker } from '../../format.js';
import type { DecodedLine, LogLine } from './format.js';

/**
 * What readers of either log store share: which lines a read wants, the marker for the gap between the head and the
 * rolling tail of a capped log, and a summary's pieces. Pure functions of lines.
 */

export interface LineWanted {
  readonly stream?: 'all' | 'stdout' | 'stderr' | undefined;
  readonly grep?: RegExp | undefined;
}

/** Deckhand's own (system) lines show whatever stream is asked for. */
export function lineFilter(opts: LineWanted): (l: DecodedLine) => boolean {
  return (l) =>
    (opts.stream === undefined || opts.stream === 'all' || l.stream === opts.stream || l.stream === 'system') &&
    (!opts.grep || opts.grep.test(l.text));
}

/** A marker line for the gap between the head's last line and the tail's first one, if lines lie between. */
export function gapMarker(headLast: DecodedLine | undefined, tailFirst: DecodedLine | undefined): LogLine | undefined {
  if (!headLast || !tailFirst || tailFirst.seq - headLast.seq <= 1) return undefined;
  const lines = tailFirst.seq - headLast.seq - 1;
  // A line's offsets are those just after it: the first tail line's own bytes are not part of the gap.
  const own = tailFirst.stream === 'system' ? 0 : Buffer.byteLength(tailFirst.text) + 1;
  const bytes = tailFirst.off.out + tailFirst.off.err - own - (headLast.off.out + headLast.off.err);
  return { seq: headLast.seq, ts: tailFirst.ts, stream: 'system', text: omittedMarker(lines, Math.max(0, bytes)) };
}

/** Lines as returned, with the cap marker where the page crosses the gap (a cursor page may start right after it). */
export function withGaps(lines: DecodedLine[], marker: LogLine | undefined, after?: number): LogLine[] {
  const out: LogLine[] = [];
  let prev = after !== undefined && after > 0 ? after : undefined;
  for (const l of lines) {
    if (marker && prev !== undefined && prev <= marker.seq && l.seq > marker.seq) out.push(marker);
    out.push({ seq: l.seq, ts: l.ts, stream: l.stream, text: l.text });
    prev = l.seq;
  }
  return out;
}

export interface SummaryCaps {
  readonly headLines: number;
  readonly tailLines: number;
  readonly maxBytes: number;
}

/** How a summary of one stream measures lines: caps per part, line cut, the stream's counters. */
export class SummaryShape {
  readonly headByteCap: number;
  readonly tailByteCap: number;
  private readonly maxLine: number;

  constructor(
    readonly stream: 'stdout' | 'stderr',
    readonly caps: SummaryCaps,
  ) {
    this.headByteCap = Math.floor(caps.maxBytes / 3);
    this.tailByteCap = caps.maxBytes - this.headByteCap;
    this.maxLine = Math.max(256, Math.floor(this.tailByteCap / 4));
  }

  cut(t: string): string {
    return t.length > this.maxLine ? `${t.slice(0, this.maxLine)} …[line cut at ${this.maxLine} characters]` : t;
  }

  size(l: DecodedLine): number {
    return Buffer.byteLength(this.cut(l.text)) + 1;
  }

  isMine(l: DecodedLine): boolean {
    return l.stream === this.stream;
  }

  /** How many lines of the stream there were up to and including `l`. */
  n(l: DecodedLine): number {
    return this.stream === 'stdout' ? l.off.outN : l.off.errN;
  }

  bytesAt(l: DecodedLine): number {
    return this.stream === 'stdout' ? l.off.out : l.off.err;
  }

  /** Head, marker, tail as one text; `tail` in order. */
  text(head: DecodedLine[], tail: DecodedLine[], last: DecodedLine) {
    const totalLines = this.n(last);
    const totalBytes = this.bytesAt(last);
    const omittedLines = totalLines - head.length - tail.length;
    const parts = head.map((l) => this.cut(l.text));
    if (omittedLines > 0) {
      const from = head.length ? this.bytesAt(head.at(-1)!) : 0;
      const firstTail = tail[0];
      const to = firstTail ? this.bytesAt(firstTail) - (Buffer.byteLength(firstTail.text) + 1) : totalBytes;
      parts.push(omittedMarker(omittedLines, Math.max(0, to - from)));
    }
    parts.push(...tail.map((l) => this.cut(l.text)));
    return { text: parts.join('\n'), truncated: omittedLines > 0, total_lines: totalLines, total_bytes: totalBytes };
  }
}
