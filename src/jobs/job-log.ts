import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { formatBytes } from '../util/format.js';
import { encodeLine, type LogLine, type LogStream, type Offsets } from './log-format.js';
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
  private pending: string[] = [];
  private pendingBytes = 0;
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
    this.seq++;
    if (stream === 'stdout') {
      this.offsets.outN++;
      if (endOffset !== undefined) this.offsets.out = endOffset;
    } else if (stream === 'stderr') {
      this.offsets.errN++;
      if (endOffset !== undefined) this.offsets.err = endOffset;
    }
    const line = encodeLine({ seq: this.seq, ts, stream, text }, this.offsets);
    this.pending.push(line);
    this.pendingBytes += line.length;
  }

  /** Writes everything added since the last flush in one call. */
  flush(): void {
    if (this.pending.length === 0) return;
    const data = this.pending.join('');
    const bytes = Buffer.byteLength(data);
    this.pending = [];
    this.pendingBytes = 0;
    this.rollIfNeeded(bytes);
    if (this.fd === undefined) this.fd = fs.openSync(this.segment, 'a', 0o600);
    fs.writeSync(this.fd, data);
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
