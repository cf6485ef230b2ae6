import fs from 'node:fs';
import path from 'node:path';
import { RecordBatch } from './batch.js';
import type { LogStream, Offsets } from './format.js';
import { ENTRY_BYTES, indexPath } from './records.js';
import { recoverSegment } from './recover.js';
import { listSegments, segmentBytes, fileSize } from './segments.js';

export interface LogLimits {
  /** Total bytes kept per job: half for the head, half for the rolling tail. */
  readonly maxBytes: number;
}

/**
 * Appends a job's output lines to files in format v2 (records.ts). One writer per job (the process executing it).
 * Each flush appends the records' bytes, then their index entries; after a crash the writer drops whatever is not
 * indexed and reopens at the last indexed line, whose offsets the executor resumes the remote stream from. Flushes
 * are synchronous: a few write calls, cheaper than a thread-pool round trip on the path of every SSH packet.
 */
export class FileLogWriter {
  private fd: number | undefined;
  private idxFd: number | undefined;
  private segment: string;
  private segmentSize = 0;
  private dataSize = 0;
  private readonly batch = new RecordBatch();
  private durableSeq = 0;
  /** Offsets of the last line a flush wrote. */
  readonly durableOffsets: Offsets = { out: 0, err: 0, outN: 0, errN: 0 };

  constructor(
    private readonly dir: string,
    private readonly limits: LogLimits,
  ) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const segs = listSegments(dir);
    this.segment = segs.at(-1) ?? path.join(dir, 'head.log');
    this.recover(segs);
  }

  get seq(): number {
    return this.batch.seq;
  }

  /** Offsets of the last line added. */
  get offsets(): Readonly<Offsets> {
    return this.batch.offsets;
  }

  /** Drops what a crash left half written and restores seq and offsets from the newest complete line. */
  private recover(segs: string[]): void {
    for (let i = segs.length - 1; i >= 0; i--) {
      const file = segs[i] as string;
      const last = recoverSegment(file);
      if (file === this.segment) {
        this.dataSize = fileSize(file);
        this.segmentSize = segmentBytes(file);
      }
      if (last) {
        this.batch.reset(last.seq, last.off);
        this.markDurable();
        return;
      }
    }
  }

  private markDurable(): void {
    this.durableSeq = this.batch.seq;
    Object.assign(this.durableOffsets, this.batch.offsets);
  }

  /** Adds a line; for output lines, `endOffset` is the stream's remote byte offset just after it. */
  add(stream: LogStream, text: string, endOffset?: number, ts?: number): void {
    this.batch.add(stream, text, endOffset, ts);
  }

  addRange(stream: LogStream, buf: Buffer, start: number, end: number, endOffset?: number, ts?: number): void {
    this.batch.addRange(stream, buf, start, end, endOffset, ts);
  }

  addLines(
    stream: 'stdout' | 'stderr',
    buf: Buffer,
    start: number,
    end: number,
    count: number,
    endOffset: number,
    ts?: number,
  ): void {
    this.batch.addLines(stream, buf, start, end, count, endOffset, ts);
  }

  /**
   * Writes everything added since the last flush: the records' bytes, then their entries. When the disk refuses
   * (full, gone), what was pending is dropped and the files cut back to the last whole write: the caller resumes
   * from `durableOffsets`, so no line is lost or written twice.
   */
  flush(): void {
    const p = this.batch.pending();
    if (!p) return;
    const entryBytes = p.count * ENTRY_BYTES;
    let base: { data: number; index: number } | undefined;
    try {
      this.rollIfNeeded(p.bytes + entryBytes);
      base = { data: this.dataSize, index: this.segmentSize - this.dataSize };
      if (this.fd === undefined || this.idxFd === undefined) {
        // The index exists before the first byte of the segment: readers find records through it only.
        this.idxFd = fs.openSync(indexPath(this.segment), 'a', 0o600);
        this.fd = fs.openSync(this.segment, 'a', 0o600);
      }
      for (let q = 0; q < entryBytes; q += ENTRY_BYTES)
        p.entries.writeDoubleLE(p.entries.readDoubleLE(q) + this.dataSize, q);
      writeAll(this.fd, p.data, p.bytes);
      writeAll(this.idxFd, p.entries, entryBytes);
    } catch (err) {
      this.undo(base);
      throw err;
    }
    this.batch.clear();
    this.dataSize += p.bytes;
    this.segmentSize += p.bytes + entryBytes;
    this.markDurable();
  }

  /** After a refused write: the files as the last whole flush left them, and nothing pending. */
  private undo(base: { data: number; index: number } | undefined): void {
    this.batch.reset(this.durableSeq, this.durableOffsets);
    if (!base) return;
    try {
      if (this.fd !== undefined) fs.ftruncateSync(this.fd, base.data);
      if (this.idxFd !== undefined) fs.ftruncateSync(this.idxFd, base.index);
    } catch {
      // The next open recovers the segment from its index whatever is left.
    }
  }

  private rollIfNeeded(incoming: number): void {
    const half = Math.floor(this.limits.maxBytes / 2);
    const isHead = path.basename(this.segment) === 'head.log';
    const cap = isHead ? half : Math.floor(half / 2);
    if (this.segmentSize + incoming <= cap || this.segmentSize === 0) return;
    this.closeFiles();
    const n = isHead ? 0 : Number(path.basename(this.segment).slice(5, -4)) + 1;
    this.segment = path.join(this.dir, `tail-${n}.log`);
    this.segmentSize = 0;
    this.dataSize = 0;
    // Keep the head and the two newest tail segments: memory and disk stay bounded whatever the output.
    for (const old of listSegments(this.dir)) {
      const m = /tail-(\d+)\.log$/.exec(old);
      if (m && Number(m[1]) < n - 1) {
        fs.rmSync(old, { force: true });
        fs.rmSync(indexPath(old), { force: true });
      }
    }
  }

  private closeFiles(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    if (this.idxFd !== undefined) fs.closeSync(this.idxFd);
    this.fd = undefined;
    this.idxFd = undefined;
  }

  close(): void {
    try {
      this.flush();
    } finally {
      this.closeFiles();
    }
  }
}

function writeAll(fd: number, buf: Buffer, bytes: number): void {
  let done = 0;
  while (done < bytes) done += fs.writeSync(fd, buf, done, bytes - done);
}
