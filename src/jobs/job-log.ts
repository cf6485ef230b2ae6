import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { formatBytes } from '../util/format.js';
import type { LogLine, LogStream, Offsets } from './log-format.js';
import { listSegments, scanBackward } from './log-segments.js';
import { isJobId } from './types.js';

export interface LogLimits {
  /** Total bytes kept per job: half for the head, half for the rolling tail. */
  readonly maxBytes: number;
}

/** Where a job's files live; the id is validated before it ever becomes a path. */
export function jobDir(home: string, id: string): string {
  if (!isJobId(id)) throw new Error(`invalid job id ${JSON.stringify(id)}`);
  return path.join(home, 'jobs', id);
}

/**
 * Appends a job's output lines. One writer per job (the process executing it). Each batch is one write(),
 * and every line records the remote offsets consumed so far, so after a crash the writer reopens at the
 * last complete line and the executor resumes the remote stream from exactly there.
 */
export class JobLogWriter {
  private fd: number | undefined;
  private segment: string;
  private segmentSize = 0;
  private batch: Buffer = Buffer.allocUnsafe(64 * 1024);
  private pendingBytes = 0;
  private tsValue = -1;
  private tsBytes: Buffer = Buffer.alloc(0);
  seq = 0;
  readonly offsets: Offsets = { out: 0, err: 0, outN: 0, errN: 0 };

  constructor(
    private readonly dir: string,
    private readonly limits: LogLimits,
    private readonly events?: EventEmitter,
    private readonly jobId?: string,
  ) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const segs = listSegments(dir);
    this.segment = segs.at(-1) ?? path.join(dir, 'head.log');
    this.recover(segs);
  }

  /** Truncates a torn last line and restores seq and offsets from the newest complete line. */
  private recover(segs: string[]): void {
    for (let i = segs.length - 1; i >= 0; i--) {
      const file = segs[i] as string;
      const fd = fs.openSync(file, 'r+');
      try {
        let size = fs.fstatSync(fd).size;
        if (size > 0) {
          const last = Buffer.alloc(1);
          fs.readSync(fd, last, 0, 1, size - 1);
          if (last[0] !== 10) {
            // A write torn by a crash: drop the partial line; its bytes will be fetched again from the remote offset.
            const cut = lastNewlineEnd(fd, size);
            fs.ftruncateSync(fd, cut);
            size = cut;
          }
        }
        if (file === this.segment) this.segmentSize = size;
        let found = false;
        scanBackward(fd, size, (l) => {
          this.seq = l.seq;
          Object.assign(this.offsets, l.off);
          found = true;
          return false;
        });
        if (found) return;
      } finally {
        fs.closeSync(fd);
      }
    }
  }

  /** Adds a line; for output lines, `endOffset` is the stream's remote byte offset just after it. */
  add(stream: LogStream, text: string, endOffset?: number, ts = Date.now()): void {
    this.addBytes(stream, Buffer.from(text, 'utf8'), endOffset, ts);
  }

  addBytes(stream: LogStream, bytes: Buffer, endOffset?: number, ts = Date.now()): void {
    this.addRange(stream, bytes, 0, bytes.length, endOffset, ts);
  }

  /**
   * The hot path: bytes [start, end) of `buf` (one line, no newline) are copied into the batch behind a header
   * written digit by digit, with no JS strings or Buffer views per line, so millions of lines a second stay
   * cheap. Invalid UTF-8 is replaced when the log is read.
   */
  addRange(stream: LogStream, buf: Buffer, start: number, end: number, endOffset?: number, ts = Date.now()): void {
    this.seq++;
    const o = this.offsets;
    if (stream === 'stdout') {
      o.outN++;
      if (endOffset !== undefined) o.out = endOffset;
    } else if (stream === 'stderr') {
      o.errN++;
      if (endOffset !== undefined) o.err = endOffset;
    }
    this.ensure(7 * 17 + 2 + (end - start) + 1);
    const b = this.batch;
    let p = this.pendingBytes;
    p = writeDecimal(b, p, this.seq);
    b[p++] = 9;
    if (ts !== this.tsValue) {
      this.tsValue = ts;
      this.tsBytes = Buffer.from(String(ts), 'latin1');
    }
    for (let i = 0; i < this.tsBytes.length; i++) b[p++] = this.tsBytes[i] as number;
    b[p++] = 9;
    b[p++] = stream === 'stdout' ? 111 : stream === 'stderr' ? 101 : 115; // o e s
    b[p++] = 9;
    p = writeDecimal(b, p, o.out);
    b[p++] = 9;
    p = writeDecimal(b, p, o.err);
    b[p++] = 9;
    p = writeDecimal(b, p, o.outN);
    b[p++] = 9;
    p = writeDecimal(b, p, o.errN);
    b[p++] = 9;
    // Short lines are copied faster by hand than through Buffer#copy's native call.
    if (end - start < 96) for (let i = start; i < end; i++) b[p++] = buf[i] as number;
    else p += buf.copy(b, p, start, end);
    b[p++] = 10;
    this.pendingBytes = p;
  }

  private ensure(extra: number): void {
    if (this.pendingBytes + extra <= this.batch.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.batch.length * 2, this.pendingBytes + extra, 64 * 1024));
    this.batch.copy(next, 0, 0, this.pendingBytes);
    this.batch = next;
  }

  /** Writes everything added since the last flush in one call. */
  flush(): void {
    if (this.pendingBytes === 0) return;
    const bytes = this.pendingBytes;
    this.rollIfNeeded(bytes);
    if (this.fd === undefined) this.fd = fs.openSync(this.segment, 'a', 0o600);
    let done = 0;
    while (done < bytes) done += fs.writeSync(this.fd, this.batch, done, bytes - done);
    this.pendingBytes = 0;
    // Don't hold on to a huge batch buffer after a burst.
    if (this.batch.length > 4 * 1024 * 1024) this.batch = Buffer.allocUnsafe(64 * 1024);
    this.segmentSize += bytes;
    this.events?.emit('lines', this.jobId, this.seq);
  }

  private rollIfNeeded(incoming: number): void {
    const half = Math.floor(this.limits.maxBytes / 2);
    const isHead = path.basename(this.segment) === 'head.log';
    const cap = isHead ? half : Math.floor(half / 2);
    if (this.segmentSize + incoming <= cap || this.segmentSize === 0) return;
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    const n = isHead ? 0 : Number(path.basename(this.segment).slice(5, -4)) + 1;
    this.segment = path.join(this.dir, `tail-${n}.log`);
    this.segmentSize = 0;
    // Keep the head and the two newest tail segments: memory and disk stay bounded whatever the output.
    for (const old of listSegments(this.dir)) {
      const m = /tail-(\d+)\.log$/.exec(old);
      if (m && Number(m[1]) < n - 1) fs.rmSync(old, { force: true });
    }
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  static describeCap(maxBytes: number): string {
    return `log capped at ${formatBytes(maxBytes)} per job`;
  }
}

/** Writes a non-negative integer in decimal ASCII at `pos`; returns the position after it. */
function writeDecimal(b: Buffer, pos: number, n: number): number {
  if (n >= 2147483648) return pos + b.write(String(n), pos, 'latin1');
  let len = 1;
  for (let t = 10; t <= n; t *= 10) len++;
  let v = n | 0;
  for (let i = pos + len - 1; i >= pos; i--) {
    const q = (v / 10) | 0;
    b[i] = 48 + v - q * 10;
    v = q;
  }
  return pos + len;
}

function lastNewlineEnd(fd: number, size: number): number {
  let pos = size;
  const buf = Buffer.alloc(64 * 1024);
  while (pos > 0) {
    const len = Math.min(buf.length, pos);
    pos -= len;
    fs.readSync(fd, buf, 0, len, pos);
    const nl = buf.subarray(0, len).lastIndexOf(10);
    if (nl >= 0) return pos + nl + 1;
  }
  return 0;
}

export type { LogLine };
