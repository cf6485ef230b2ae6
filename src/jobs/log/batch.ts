import type { LogStream, Offsets } from './format.js';
import { ENTRY_BYTES, writeEntry } from './records.js';

/** A record's bytes stop growing past this, so a tail read of a few lines reads little. */
const RECORD_BYTES = 64 * 1024;

/** What a batch holds when it is handed to storage: record bytes and their index entries (starts relative to `data`). */
export interface PendingRecords {
  readonly data: Buffer;
  readonly bytes: number;
  readonly entries: Buffer;
  readonly count: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstTs: number;
  readonly lastTs: number;
  /** Offsets and counters after the batch's last line. */
  readonly offsets: Offsets;
}

/**
 * Gathers a job's output lines into records of format v2 (records.ts): runs of one stream and timestamp, each with
 * one index entry. Both log stores build their writes with it (a file segment, a PostgreSQL chunk row), so a line
 * has the same seq, offsets and bytes whichever backend keeps it.
 */
export class RecordBatch {
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
  private firstSeq = 0;
  private firstTs = 0;
  seq = 0;
  readonly offsets: Offsets = { out: 0, err: 0, outN: 0, errN: 0 };

  /** Starts over from a stored state (a reopened log, or a refused write): whatever was pending is dropped. */
  reset(seq: number, offsets: Readonly<Offsets>): void {
    this.seq = seq;
    Object.assign(this.offsets, offsets);
    this.pendingBytes = 0;
    this.pendingEntries = 0;
    this.recStart = -1;
  }

  /** Bytes added and not yet handed out. */
  get size(): number {
    return this.pendingBytes + this.pendingEntries * ENTRY_BYTES;
  }

  add(stream: LogStream, text: string, endOffset?: number, ts = Date.now()): void {
    const bytes = Buffer.from(text, 'utf8');
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
    if (this.pendingEntries === 0) {
      this.firstSeq = this.seq + 1;
      this.firstTs = ts;
    }
    this.recStart = this.pendingBytes;
    this.recStream = stream;
    this.recTs = ts;
    this.recFirstSeq = this.seq + 1;
    this.recStartOff = before;
  }

  /** Ends the open record: its entry (start relative to the batch) joins the pending ones. */
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

  /** Closes the open record and shows what is pending, in the batch's own buffers (valid until `clear`). */
  pending(): PendingRecords | undefined {
    this.closeRecord();
    if (this.pendingEntries === 0) return undefined;
    return {
      data: this.batch,
      bytes: this.pendingBytes,
      entries: this.entries,
      count: this.pendingEntries,
      firstSeq: this.firstSeq,
      lastSeq: this.seq,
      firstTs: this.firstTs,
      lastTs: this.recTs,
      offsets: { ...this.offsets },
    };
  }

  /** Forgets what `pending` showed once it is stored; a burst's big buffers are not kept. */
  clear(): void {
    this.pendingBytes = 0;
    this.pendingEntries = 0;
    if (this.batch.length > 4 * 1024 * 1024) this.batch = Buffer.allocUnsafe(64 * 1024);
    if (this.entries.length > 64 * 1024) this.entries = Buffer.allocUnsafe(64 * ENTRY_BYTES);
  }

  /**
   * Hands what is pending over for good (its own buffers, trimmed to size) and starts empty: lines added while an
   * asynchronous write of the taken part is under way go into the next one.
   */
  take(): PendingRecords | undefined {
    const p = this.pending();
    if (!p) return undefined;
    const taken = {
      ...p,
      data: p.data.subarray(0, p.bytes),
      entries: p.entries.subarray(0, p.count * ENTRY_BYTES),
    };
    this.batch = Buffer.allocUnsafe(64 * 1024);
    this.entries = Buffer.allocUnsafe(64 * ENTRY_BYTES);
    this.pendingBytes = 0;
    this.pendingEntries = 0;
    return taken;
  }
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
