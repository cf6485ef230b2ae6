import fs from 'node:fs';
import type { DecodedLine } from './format.js';
import {
  ENTRY_BYTES,
  forEachLine,
  forEachLineBackward,
  lastSeqOf,
  readEntry,
  recordEnd,
  type RecordEntry,
} from './records.js';

/**
 * Entries and bytes read at once when walking a segment: few at first (most reads want a few lines at one end),
 * doubling up to these as a scan goes on.
 */
const ENTRY_CHUNK = 512;
const DATA_CHUNK = 256 * 1024;
const FIRST_ENTRIES = 8;

/**
 * Reads one v2 segment (records.ts) through its index. Only entries whose bytes are all in the .log file count:
 * the writer appends the bytes before the entry, so a reader racing it never sees half a record.
 */
export class IndexedSegment {
  /** Complete entries. */
  readonly entries: number;

  private constructor(
    private readonly dataFd: number,
    private readonly idxFd: number,
    idxSize: number,
    readonly dataSize: number,
  ) {
    let n = Math.floor(idxSize / ENTRY_BYTES);
    while (n > 0) {
      const e = this.entry(n - 1);
      if (e && recordEnd(e) <= dataSize) break;
      n--;
    }
    this.entries = n;
  }

  static open(file: string, index: string): IndexedSegment | undefined {
    let dataFd: number | undefined;
    let idxFd: number | undefined;
    try {
      dataFd = fs.openSync(file, 'r');
      idxFd = fs.openSync(index, 'r');
      return new IndexedSegment(dataFd, idxFd, fs.fstatSync(idxFd).size, fs.fstatSync(dataFd).size);
    } catch {
      if (dataFd !== undefined) fs.closeSync(dataFd);
      if (idxFd !== undefined) fs.closeSync(idxFd);
      return undefined;
    }
  }

  close(): void {
    fs.closeSync(this.dataFd);
    fs.closeSync(this.idxFd);
  }

  entry(i: number): RecordEntry | undefined {
    const b = Buffer.alloc(ENTRY_BYTES);
    if (fs.readSync(this.idxFd, b, 0, ENTRY_BYTES, i * ENTRY_BYTES) < ENTRY_BYTES) return undefined;
    return readEntry(b, 0);
  }

  /** Entries [from, to), read in one call. */
  private entryRange(from: number, to: number): (RecordEntry | undefined)[] {
    const b = Buffer.alloc((to - from) * ENTRY_BYTES);
    const got = fs.readSync(this.idxFd, b, 0, b.length, from * ENTRY_BYTES);
    const out: (RecordEntry | undefined)[] = [];
    for (let p = 0; p + ENTRY_BYTES <= got; p += ENTRY_BYTES) out.push(readEntry(b, p));
    return out;
  }

  /** A damaged entry (never written so by the writer) ends a walk instead of asking for bytes that are not there. */
  private fits(e: RecordEntry | undefined): e is RecordEntry {
    return e !== undefined && recordEnd(e) <= this.dataSize;
  }

  last(): RecordEntry | undefined {
    return this.entries > 0 ? this.entry(this.entries - 1) : undefined;
  }

  private payload(e: RecordEntry): Buffer {
    const b = Buffer.alloc(e.bytes);
    fs.readSync(this.dataFd, b, 0, e.bytes, e.start);
    return b;
  }

  /** Lines newest first; `back` is how many bytes of the segment lie from the line's start to its end. */
  scanBackward(visit: (l: DecodedLine, back: number) => boolean): void {
    let step = FIRST_ENTRIES;
    for (let hi = this.entries; hi > 0; hi -= step, step = Math.min(ENTRY_CHUNK, step * 2)) {
      const batch = this.entryRange(Math.max(0, hi - step), hi);
      for (let i = batch.length - 1; i >= 0; i--) {
        const e = batch[i];
        if (!this.fits(e)) return;
        const done = forEachLineBackward(e, this.payload(e), (l, at) => visit(l, this.dataSize - e.start - at));
        if (!done) return;
      }
    }
  }

  /** Index of the record holding the first line with seq > `after` (binary search: seqs grow along the index). */
  private seek(after: number): number {
    let lo = 0;
    let hi = this.entries - 1;
    if (hi < 0) return 0;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      const e = this.entry(mid);
      if (e && e.firstSeq <= after + 1) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Lines with seq > `after` in order, until `visit` returns false. */
  scanForward(after: number, visit: (l: DecodedLine) => boolean): void {
    let step = FIRST_ENTRIES;
    let chunk = 0;
    for (let i = this.seek(after); i < this.entries; step = Math.min(ENTRY_CHUNK, step * 2)) {
      const batch = this.entryRange(i, Math.min(this.entries, i + step));
      let j = 0;
      while (j < batch.length) {
        const first = batch[j];
        if (!this.fits(first)) return;
        // Consecutive records are adjacent in the .log file: read as many as fit a chunk in one call.
        chunk = Math.min(DATA_CHUNK, Math.max(chunk * 2, 64 * 1024));
        let k = j + 1;
        while (k < batch.length) {
          const e = batch[k];
          if (!this.fits(e) || e.start !== recordEnd(batch[k - 1]!) || recordEnd(e) - first.start > chunk) break;
          k++;
        }
        const last = batch[k - 1]!;
        const data = Buffer.alloc(recordEnd(last) - first.start);
        fs.readSync(this.dataFd, data, 0, data.length, first.start);
        for (; j < k; j++) {
          const e = batch[j]!;
          if (lastSeqOf(e) <= after) continue;
          const payload = data.subarray(e.start - first.start, recordEnd(e) - first.start);
          if (!forEachLine(e, payload, Math.max(0, after + 1 - e.firstSeq), (l) => visit(l))) return;
        }
      }
      i += batch.length;
    }
  }
}
