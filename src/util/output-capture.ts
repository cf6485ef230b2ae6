import { omittedMarker } from './format.js';
import { cutChars, LineSplitter } from './line-splitter.js';

export interface CaptureLimits {
  readonly headLines: number;
  readonly tailLines: number;
  readonly maxBytes: number;
}

export interface CapturedOutput {
  readonly text: string;
  readonly truncated: boolean;
  readonly total_lines: number;
  readonly total_bytes: number;
}

/**
 * Keeps the head and the tail of a stream within line and byte caps, counting what falls in between,
 * so a result can say exactly what it left out. Memory stays bounded whatever the output size.
 */
interface KeptLine {
  readonly text: string;
  /** What the line costs in the result (after cutting). */
  readonly size: number;
  /** What the line was in the stream, so the marker reports what was really left out. */
  readonly raw: number;
}

export class OutputCapture {
  private readonly head: string[] = [];
  private headBytes = 0;
  private readonly tail: KeptLine[] = [];
  private tailBytes = 0;
  private headFull = false;
  private omittedLines = 0;
  private omittedBytes = 0;
  private totalLines = 0;
  private totalBytes = 0;
  private readonly splitter: LineSplitter;
  private readonly headByteCap: number;
  private readonly tailByteCap: number;

  constructor(private readonly limits: CaptureLimits) {
    this.headByteCap = Math.floor(limits.maxBytes / 3);
    this.tailByteCap = limits.maxBytes - this.headByteCap;
    this.splitter = new LineSplitter((line, bytes, cut) => this.addLine(line, bytes, cut));
  }

  write(chunk: Buffer): void {
    this.totalBytes += chunk.length;
    this.splitter.push(chunk);
  }

  addLine(raw: string, rawBytes = Buffer.byteLength(raw) + 1, alreadyCut = false): void {
    this.totalLines++;
    // One enormous line must not crowd out everything else in the result.
    const maxLine = Math.max(256, Math.floor(this.tailByteCap / 4));
    const kept = cutChars(raw, maxLine);
    const line = alreadyCut || kept !== raw ? `${kept} …[line cut at ${kept.length} characters]` : raw;
    const size = Buffer.byteLength(line) + 1;
    if (!this.headFull) {
      if (this.head.length < this.limits.headLines && this.headBytes + size <= this.headByteCap) {
        this.head.push(line);
        this.headBytes += size;
        return;
      }
      this.headFull = true;
    }
    this.tail.push({ text: line, size, raw: rawBytes });
    this.tailBytes += size;
    while (this.tail.length > 0 && (this.tail.length > this.limits.tailLines || this.tailBytes > this.tailByteCap)) {
      const dropped = this.tail.shift() as KeptLine;
      this.tailBytes -= dropped.size;
      this.omittedLines++;
      this.omittedBytes += dropped.raw;
    }
  }

  finish(): CapturedOutput {
    this.splitter.end();
    const parts = [...this.head];
    if (this.omittedLines > 0) parts.push(omittedMarker(this.omittedLines, this.omittedBytes));
    parts.push(...this.tail.map((l) => l.text));
    return {
      text: parts.join('\n'),
      truncated: this.omittedLines > 0,
      total_lines: this.totalLines,
      total_bytes: this.totalBytes,
    };
  }
}
