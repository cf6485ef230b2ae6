import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { formatBytes } from '../format.js';
import type { DecodedLine, LogLine, LogStream, Offsets } from './log-format.js';
import { IndexedSegment } from './log-index.js';
import { truncateTornV1 } from './log-legacy.js';
import { ENTRY_BYTES, indexPath, writeEntry } from './log-records.js';
import { isLegacySegment, lastLine, listSegments, segmentBytes } from './log-segments.js';
import { isJobId } from './types.js';

export interface LogLimits {
  /** Total bytes kept per job: half for the head, half for the rolling tail. */
  readonly maxBytes: number;
  /** At most one 'lines' event per this many ms while lines keep coming (default 100; 0: one per flush). */
  readonly announceMs?: number;
}

/** Where a job's files live; the id is validated before it ever becomes a path. */
export function jobDir(home: string, id: string): string {
  if (!isJobId(id)) throw new Error(`invalid job id ${JSON.stringify(id)}`);
  return path.join(home, 'jobs', id);
}

/** A record's bytes stop growing past this, so a tail read of a few lines reads little. */
const RECORD_BYTES = 64 * 1024;

/**
 * Appends a job's output lines in format v2 (log-records.ts). One writer per job (the process executing it). Lines
 * are gathered into records (runs of one stream and timestamp) and each flush appends the records' bytes, then
 * their index entries; after a crash the writer drops whatever is not indexed and reopens at the last indexed line,
 * whose offsets the executor resumes the remote stream from.
 */
export class JobLogWriter {
  private fd: number | undefined;
  private idxFd: number | undefined;
  private segment: string;
  private segmentSize = 0;
  private dataSize = 0;
  /** The segment in place was written by an earlier version (v1): new lines go to a fresh segment. */
  private legacy = false;
  private batch: Buffer = Buffer.allocUnsafe(64 * 1024);
  private pendingBytes = 0;
  private entries: Buffer = Buffer.allocUnsafe(64 * ENTRY_BYTES);
  private pendingEntries = 0;
  /** The record being gathered: starts at `recStart` in the batch; -1 when none is open. */
  private recStart = -1;
  private recStream: LogStream = 'stdout';
  private recTs = 0;
  private recFirstSeq = 0;
  private recStartOff = 0;
  private lastAnnounce = -Infinity;
  private announceTimer: NodeJS.Timeout | undefined;
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

  /** Drops what a crash left half written and restores seq and offsets from the newest complete line. */
  private recover(segs: string[]): void {
    for (let i = segs.length - 1; i >= 0; i--) {
      const file = segs[i] as string;
      const legacy = isLegacySegment(file);
      const last = legacy ? recoverLegacy(file) : recoverIndexed(file);
      if (file === this.segment) {
        this.legacy = isLegacySegment(file);
        this.dataSize = fileSizeOf(file);
        this.segmentSize = segmentBytes(file);
      }
      if (last) {
        this.seq = last.seq;
        Object.assign(this.offsets, last.off);
        return;
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
   * One line: bytes [start, end) of `buf`, without its newline. A line that consumed exactly its length and a
   * newline remotely may be followed by more lines in its record; any other (a CRLF line, a cut piece, a note with a
   * newline inside) ends its record, which then carries its exact offsets. Invalid UTF-8 is replaced when read.
   */
  addRange(stream: LogStream, buf: Buffer, start: number, end: number, endOffset?: number, ts = Date.now()): void {
    const o = this.offsets;
    const before = stream === 'stdout' ? o.out : stream === 'stderr' ? o.err : 0;
    // A line holding a newline (a note, never output: output is split on them) is a record of its own.
    const inner = end - start < 256 ? hasNewline(buf, start, end) : buf.subarray(start, end).includes(10);
    if (inner) this.closeRecord();
    const clean = !inner && (stream === 'system' || endOffset === before + (end - start) + 1);
    this.open(stream, ts, end - start + 1, before);
    this.seq++;
    if (stream === 'stdout') {
      o.outN++;
      if (endOffset !== undefined) o.out = endOffset;
    } else if (stream === 'stderr') {
      o.errN++;
      if (endOffset !== undefined) o.err = endOffset;
    }
    this.ensure(end - start + 1);
    const b = this.batch;
    let p = this.pendingBytes;
    // Short lines are copied faster by hand than through Buffer#copy's native call.
    if (end - start < 64) for (let i = start; i < end; i++) b[p++] = buf[i] as number;
    else p += buf.copy(b, p, start, end);
    b[p++] = 10;
    this.pendingBytes = p;
    if (!clean) this.closeRecord();
  }

  /**
   * The hot path: `count` whole lines of one stream, bytes [start, end) of `buf` with every newline, each line
   * having consumed exactly its bytes remotely (no CR dropped, none cut); `endOffset` is the stream's remote offset
   * after them. One copy for the lot, no work per line.
   */
  addLines(
    stream: 'stdout' | 'stderr',
    buf: Buffer,
    start: number,
    end: number,
    count: number,
    endOffset: number,
    ts = Date.now(),
  ): void {
    if (count <= 0) return;
    // A run longer than a record is cut at newlines (splitters hand out a chunk at most, so this is rare).
    while (end - start > RECORD_BYTES) {
      const cut = buf.lastIndexOf(10, start + RECORD_BYTES - 1);
      if (cut < start) break;
      const n = countNewlines(buf, start, cut + 1);
      this.addLines(stream, buf, start, cut + 1, n, endOffset - (end - cut - 1), ts);
      start = cut + 1;
      count -= n;
    }
    const o = this.offsets;
    const before = endOffset - (end - start);
    this.open(stream, ts, end - start, before, stream === 'stdout' ? o.out : o.err);
    this.seq += count;
    if (stream === 'stdout') {
      o.outN += count;
      o.out = endOffset;
    } else {
      o.errN += count;
      o.err = endOffset;
    }
    this.ensure(end - start);
    this.pendingBytes += buf.copy(this.batch, this.pendingBytes, start, end);
  }

  /**
   * Makes sure a record of this stream and timestamp is open for `incoming` more bytes, continuing the current one
   * when it can. `before` is the stream's remote offset before the lines to come; they continue the record only
   * from where it ends, and only while it stays within RECORD_BYTES.
   */
  private open(stream: LogStream, ts: number, incoming: number, before: number, current = before): void {
    if (
      this.recStart >= 0 &&
      (this.recStream !== stream ||
        this.recTs !== ts ||
        before !== current ||
        this.pendingBytes - this.recStart + incoming > RECORD_BYTES)
    )
      this.closeRecord();
    if (this.recStart >= 0) return;
    this.recStart = this.pendingBytes;
    this.recStream = stream;
    this.recTs = ts;
    this.recFirstSeq = this.seq + 1;
    this.recStartOff = before;
  }

  /** Ends the open record: its entry (start relative to the batch until the flush) joins the pending ones. */
  private closeRecord(): void {
    if (this.recStart < 0) return;
    if ((this.pendingEntries + 1) * ENTRY_BYTES > this.entries.length) {
      const next = Buffer.allocUnsafe(this.entries.length * 2);
      this.entries.copy(next, 0, 0, this.pendingEntries * ENTRY_BYTES);
      this.entries = next;
    }
    const o = this.offsets;
    writeEntry(this.entries, this.pendingEntries * ENTRY_BYTES, {
      start: this.recStart,
      bytes: this.pendingBytes - this.recStart,
      firstSeq: this.recFirstSeq,
      count: this.seq - this.recFirstSeq + 1,
      ts: this.recTs,
      stream: this.recStream,
      startOff: this.recStream === 'system' ? 0 : this.recStartOff,
      out: o.out,
      err: o.err,
      outN: o.outN,
      errN: o.errN,
    });
    this.pendingEntries++;
    this.recStart = -1;
  }

  private ensure(extra: number): void {
    if (this.pendingBytes + extra <= this.batch.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.batch.length * 2, this.pendingBytes + extra, 64 * 1024));
    this.batch.copy(next, 0, 0, this.pendingBytes);
    this.batch = next;
  }

  /** Writes everything added since the last flush: the records' bytes, then their entries. */
  flush(): void {
    this.closeRecord();
    if (this.pendingEntries === 0) return;
    const bytes = this.pendingBytes;
    const entryBytes = this.pendingEntries * ENTRY_BYTES;
    this.rollIfNeeded(bytes + entryBytes);
    if (this.fd === undefined || this.idxFd === undefined) {
      // The index exists before the first byte of the segment: a .log without one is a v1 segment.
      this.idxFd = fs.openSync(indexPath(this.segment), 'a', 0o600);
      this.fd = fs.openSync(this.segment, 'a', 0o600);
    }
    for (let p = 0; p < entryBytes; p += ENTRY_BYTES)
      this.entries.writeDoubleLE(this.entries.readDoubleLE(p) + this.dataSize, p);
    writeAll(this.fd, this.batch, bytes);
    writeAll(this.idxFd, this.entries, entryBytes);
    this.pendingBytes = 0;
    this.pendingEntries = 0;
    // Don't hold on to a huge batch buffer after a burst.
    if (this.batch.length > 4 * 1024 * 1024) this.batch = Buffer.allocUnsafe(64 * 1024);
    if (this.entries.length > 64 * 1024) this.entries = Buffer.allocUnsafe(64 * ENTRY_BYTES);
    this.dataSize += bytes;
    this.segmentSize += bytes + entryBytes;
    this.announce();
  }

  /**
   * Tells listeners there are new lines: at once after a quiet spell, then at most once per `announceMs` with a
   * last event for the lines of the end of a burst. A streaming job flushes every SSH packet (thousands a second);
   * every event wakes waiting readers (get-job-status with wait_s, progress), which re-read the job record and the
   * log, and a client that calls again at once would otherwise keep them busy on every packet.
   */
  private announce(): void {
    if (!this.events || this.announceTimer) return;
    const gap = this.limits.announceMs ?? 100;
    const wait = this.lastAnnounce + gap - performance.now();
    if (wait <= 0) return this.emitLines();
    this.announceTimer = setTimeout(() => this.emitLines(), wait);
    this.announceTimer.unref();
  }

  private emitLines(): void {
    clearTimeout(this.announceTimer);
    this.announceTimer = undefined;
    this.lastAnnounce = performance.now();
    this.events?.emit('lines', this.jobId, this.seq);
  }

  private rollIfNeeded(incoming: number): void {
    const half = Math.floor(this.limits.maxBytes / 2);
    const isHead = path.basename(this.segment) === 'head.log';
    const cap = isHead ? half : Math.floor(half / 2);
    if (!this.legacy && (this.segmentSize + incoming <= cap || this.segmentSize === 0)) return;
    this.legacy = false;
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
    this.flush();
    this.closeFiles();
    // The last lines are announced now, not after the writer is gone.
    if (this.announceTimer) this.emitLines();
  }

  static describeCap(maxBytes: number): string {
    return `log capped at ${formatBytes(maxBytes)} per job`;
  }
}

function writeAll(fd: number, buf: Buffer, bytes: number): void {
  let done = 0;
  while (done < bytes) done += fs.writeSync(fd, buf, done, bytes - done);
}

function countNewlines(buf: Buffer, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if (buf[i] === 10) n++;
  return n;
}

function hasNewline(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] === 10) return true;
  return false;
}

function fileSizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * Makes a v2 segment whole again after a crash: a torn index entry goes, then every .log byte that no entry
 * covers (a record written but not indexed; its lines are fetched again from the remote offsets). Returns the
 * newest line left.
 */
function recoverIndexed(file: string): DecodedLine | undefined {
  const index = indexPath(file);
  if (!fs.existsSync(index)) return undefined;
  const seg = IndexedSegment.open(file, index);
  if (!seg) return undefined;
  let keep: number;
  try {
    const last = seg.last();
    keep = last ? last.start + last.bytes : 0;
    fs.truncateSync(index, seg.entries * ENTRY_BYTES);
  } finally {
    seg.close();
  }
  if (fileSizeOf(file) > keep) fs.truncateSync(file, keep);
  return lastLine(file);
}

/** The same for a v1 segment: the partial line at its end goes. */
function recoverLegacy(file: string): DecodedLine | undefined {
  const fd = fs.openSync(file, 'r+');
  try {
    truncateTornV1(fd, fs.fstatSync(fd).size);
  } finally {
    fs.closeSync(fd);
  }
  return lastLine(file);
}

export type { LogLine };
