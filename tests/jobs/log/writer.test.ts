import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobDir } from '../../../src/jobs/log/file-store.js';
import { FileLogWriter } from '../../../src/jobs/log/writer.js';
import { type DecodedLine, type LogStream } from '../../../src/jobs/log/format.js';
import { capMarker, readLog } from '../../../src/jobs/log/reader.js';
import type { ReadResult } from '../../../src/jobs/store/contract.js';
import { ENTRY_BYTES } from '../../../src/jobs/log/records.js';
import { listSegments, scanForward, segmentBytes } from '../../../src/jobs/log/segments.js';
import { newJobId } from '../../../src/jobs/types.js';
import { omittedMarker } from '../../../src/format.js';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-joblog-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every line of a segment, through its index; the .log file holds exactly their bytes. */
function decodeFile(file: string): DecodedLine[] {
  const lines: DecodedLine[] = [];
  scanForward(file, 0, (l) => (lines.push(l), true));
  expect(fs.readFileSync(file, 'utf8')).toBe(lines.map((l) => `${l.text}\n`).join(''));
  return lines;
}

const allLines = (dir: string) => listSegments(dir).flatMap(decodeFile);

/** Writes `n` lines the way the remote-bash executor does: remote end offsets per stream, a flush per batch. */
function writeLines(
  w: FileLogWriter,
  n: number,
  opts: { text?: (i: number) => string; stream?: (i: number) => LogStream; batch?: number } = {},
): void {
  const text = opts.text ?? ((i) => `line ${i}`);
  const stream = opts.stream ?? (() => 'stdout');
  for (let i = 1; i <= n; i++) {
    const s = stream(i);
    const t = text(i);
    const bytes = Buffer.byteLength(t) + 1;
    if (s === 'stdout') w.add(s, t, w.offsets.out + bytes, 1000 + i);
    else if (s === 'stderr') w.add(s, t, w.offsets.err + bytes, 1000 + i);
    else w.add(s, t, undefined, 1000 + i);
    if (i % (opts.batch ?? 1) === 0) w.flush();
  }
  w.flush();
}

describe('FileLogWriter', () => {
  it('buffers added lines and writes each batch at once, with seq and per-line offsets and counters', () => {
    const dir = path.join(tmp, 'j');
    const w = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    w.add('stdout', 'a1', 3, 11);
    w.add('stderr', 'e1', 3, 12);
    w.add('stdout', 'tab\there', 12, 13);
    // Nothing reaches the disk before the flush; durable offsets move with it.
    expect(listSegments(dir).flatMap(decodeFile)).toEqual([]);
    expect(w.durableOffsets).toEqual({ out: 0, err: 0, outN: 0, errN: 0 });
    w.flush();
    expect(w.durableOffsets).toEqual({ out: 12, err: 3, outN: 2, errN: 1 });
    w.add('system', 'note', undefined, 14);
    w.add('stdout', '', 13, 15);
    expect(w.durableOffsets).toEqual({ out: 12, err: 3, outN: 2, errN: 1 });
    w.flush();
    w.flush(); // an empty flush writes nothing
    w.close();
    expect(allLines(dir)).toEqual([
      { seq: 1, ts: 11, stream: 'stdout', text: 'a1', off: { out: 3, err: 0, outN: 1, errN: 0 } },
      { seq: 2, ts: 12, stream: 'stderr', text: 'e1', off: { out: 3, err: 3, outN: 1, errN: 1 } },
      { seq: 3, ts: 13, stream: 'stdout', text: 'tab\there', off: { out: 12, err: 3, outN: 2, errN: 1 } },
      { seq: 4, ts: 14, stream: 'system', text: 'note', off: { out: 12, err: 3, outN: 2, errN: 1 } },
      { seq: 5, ts: 15, stream: 'stdout', text: '', off: { out: 13, err: 3, outN: 3, errN: 1 } },
    ]);
  });

  it('drops what a refused flush held and goes back to the durable offsets, so the follower resumes from there', () => {
    const dir = path.join(tmp, 'j');
    const w = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    writeLines(w, 3);
    const durable = { ...w.durableOffsets };
    w.close();
    const r = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    // The disk refuses every write from now on (/dev/full answers ENOSPC); the writer opens its files at its first flush.
    const head = path.join(dir, 'head.log');
    const kept = fs.readFileSync(head);
    fs.rmSync(head);
    fs.symlinkSync('/dev/full', head);
    r.add('stdout', 'refused', r.offsets.out + 8);
    expect(() => r.flush()).toThrow(/ENOSPC/);
    expect(r.seq).toBe(3);
    expect(r.offsets).toEqual(durable);
    expect(r.durableOffsets).toEqual(durable);
    expect(fs.statSync(path.join(dir, 'head.idx')).size).toBe(ENTRY_BYTES * 3);
    // The disk is back: the follower resumes from the durable offsets, every line once.
    fs.rmSync(head);
    fs.writeFileSync(head, kept);
    const again = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    again.add('stdout', 'refused', again.offsets.out + 8);
    again.close();
    expect(allLines(dir).map((l) => l.text)).toEqual(['line 1', 'line 2', 'line 3', 'refused']);
  });

  it('drops a torn last line on reopen and restores seq and offsets from the last complete one', () => {
    const dir = path.join(tmp, 'j');
    const w = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    writeLines(w, 10, { stream: (i) => (i % 3 === 0 ? 'stderr' : 'stdout') });
    w.close();
    const head = path.join(dir, 'head.log');
    const index = path.join(dir, 'head.idx');
    const whole = fs.readFileSync(head);
    const wholeIndex = fs.readFileSync(index);
    // A crash in the middle of a flush: the bytes of a record without its entry, and half an entry.
    fs.appendFileSync(head, 'line 11\nline 12\npartial te');
    fs.appendFileSync(index, wholeIndex.subarray(0, ENTRY_BYTES - 5));
    const r = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    expect(fs.readFileSync(head)).toEqual(whole);
    expect(fs.readFileSync(index)).toEqual(wholeIndex);
    expect(r.seq).toBe(10);
    const last = allLines(dir).at(-1)!;
    expect(r.offsets).toEqual(last.off);
    expect(r.offsets).toMatchObject({ outN: 7, errN: 3 });
    r.add('stdout', 'after', r.offsets.out + 6);
    r.close();
    const after = allLines(dir);
    expect(after.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(after.at(-1)).toMatchObject({ text: 'after', off: { out: last.off.out + 6, outN: 8, errN: 3 } });
  });

  it('recovers from a segment holding only a torn line by truncating it and reading the previous one', () => {
    const dir = path.join(tmp, 'j');
    const w = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    writeLines(w, 4);
    w.close();
    fs.writeFileSync(path.join(dir, 'tail-0.log'), '5\t1005\to\t40');
    const r = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    expect(fs.statSync(path.join(dir, 'tail-0.log')).size).toBe(0);
    expect(r.seq).toBe(4);
    expect(r.offsets).toEqual(allLines(dir).at(-1)!.off);
  });

  it('reopens a log with no torn line unchanged', () => {
    const dir = path.join(tmp, 'j');
    const w = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    writeLines(w, 3);
    w.close();
    const before = fs.readFileSync(path.join(dir, 'head.log'));
    const r = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    expect(r.seq).toBe(3);
    expect(fs.readFileSync(path.join(dir, 'head.log'))).toEqual(before);
    expect(new FileLogWriter(path.join(tmp, 'empty'), { maxBytes: 1 << 20 }).seq).toBe(0);
  });

  it('keeps the head and the two newest tail segments under a small cap', () => {
    const dir = path.join(tmp, 'j');
    const maxBytes = 4096;
    const w = new FileLogWriter(dir, { maxBytes });
    writeLines(w, 400, { text: (i) => `line number ${String(i).padStart(4, '0')} ${'x'.repeat(20)}` });
    w.close();
    const names = listSegments(dir).map((f) => path.basename(f));
    expect(names[0]).toBe('head.log');
    expect(names).toHaveLength(3);
    const [n1, n2] = names.slice(1).map((n) => Number(/^tail-(\d+)\.log$/.exec(n)![1]));
    expect(n2).toBe(n1! + 1);
    expect(n1).toBeGreaterThan(2); // older tails existed and were removed
    expect(fs.statSync(path.join(dir, 'head.log')).size).toBeLessThanOrEqual(maxBytes / 2);
    for (const n of names.slice(1)) expect(fs.statSync(path.join(dir, n)).size).toBeLessThanOrEqual(maxBytes / 4);
    const head = decodeFile(path.join(dir, 'head.log'));
    const tails = names.slice(1).flatMap((n) => decodeFile(path.join(dir, n)));
    // The head starts at the beginning; the tail is contiguous and ends with the last line.
    expect(head[0]!.seq).toBe(1);
    expect(head.map((l) => l.seq)).toEqual(head.map((_, i) => i + 1));
    expect(tails.map((l) => l.seq)).toEqual(tails.map((_, i) => tails[0]!.seq + i));
    expect(tails.at(-1)!.seq).toBe(400);
    expect(tails.at(-1)!.off.outN).toBe(400);
  });

  it('jobDir refuses anything but a job id', () => {
    expect(jobDir('/h', 'job_01JD3Q8X5K2M7N4P6R8S0T2V4W')).toBe('/h/jobs/job_01JD3Q8X5K2M7N4P6R8S0T2V4W');
    for (const bad of ['../x', 'job_01JD3Q8X5K2M7N4P6R8S0T2V4W/..', '']) expect(() => jobDir('/h', bad)).toThrow();
  });
});

describe('readLog', () => {
  function smallLog(n = 50): string {
    const dir = path.join(tmp, 'small');
    const w = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    writeLines(w, n, {
      stream: (i) => (i % 10 === 0 ? 'system' : i % 3 === 0 ? 'stderr' : 'stdout'),
      text: (i) => (i % 7 === 0 ? `error ${i}` : `line ${i}`),
      batch: 4,
    });
    w.close();
    return dir;
  }

  it('answers the last N lines in order with the totals', () => {
    const dir = smallLog();
    const r = readLog(dir, { limit: 5 });
    expect(r.lines.map((l) => l.seq)).toEqual([46, 47, 48, 49, 50]);
    expect(r.lines[0]).toEqual({ seq: 46, ts: 1046, stream: 'stdout', text: 'line 46' });
    expect(r).toMatchObject({ next_cursor: 50, has_more: false, total_lines: 50 });
    // The bytes on disk: the lines and their index.
    expect(r.log_bytes).toBe(
      fs.statSync(path.join(dir, 'head.log')).size + fs.statSync(path.join(dir, 'head.idx')).size,
    );
    expect(r.log_bytes).toBe(segmentBytes(path.join(dir, 'head.log')));
    expect(readLog(dir, { limit: 500 }).lines.map((l) => l.seq)).toEqual(range(1, 50));
    expect(readLog(dir, { limit: 0 })).toMatchObject({ lines: [], next_cursor: 50, has_more: false });
    expect(readLog(dir, { limit: 0, cursor: 20 })).toMatchObject({ lines: [], next_cursor: 20, has_more: true });
  });

  it('pages with a cursor in order, every line once', () => {
    const dir = smallLog();
    const seen: number[] = [];
    let cursor = 0;
    let pages = 0;
    for (;;) {
      const r = readLog(dir, { cursor, limit: 7 });
      pages++;
      seen.push(...r.lines.map((l) => l.seq));
      expect(r.next_cursor).toBe(r.lines.at(-1)?.seq ?? cursor);
      cursor = r.next_cursor;
      if (!r.has_more) break;
      expect(r.lines).toHaveLength(7);
    }
    expect(seen).toEqual(range(1, 50));
    expect(pages).toBe(8);
    expect(readLog(dir, { cursor: 50, limit: 7 })).toMatchObject({ lines: [], next_cursor: 50, has_more: false });
  });

  it('filters by stream (deckhand system lines always show) and by regular expression', () => {
    const dir = smallLog();
    const out = readLog(dir, { cursor: 0, limit: 1000, stream: 'stdout' }).lines;
    expect(new Set(out.map((l) => l.stream))).toEqual(new Set(['stdout', 'system']));
    expect(out.map((l) => l.seq)).toEqual(range(1, 50).filter((i) => i % 3 !== 0 || i % 10 === 0));
    const err = readLog(dir, { limit: 3, stream: 'stderr' }).lines;
    expect(err.map((l) => [l.seq, l.stream])).toEqual([
      [45, 'stderr'],
      [48, 'stderr'],
      [50, 'system'],
    ]);
    const grep = /^error/;
    expect(readLog(dir, { cursor: 0, limit: 1000, grep }).lines.map((l) => l.seq)).toEqual([7, 14, 21, 28, 35, 42, 49]);
    expect(readLog(dir, { limit: 2, grep }).lines.map((l) => l.seq)).toEqual([42, 49]);
    // A cursor read with a filter moves the cursor past what it scanned, not only what it returned.
    const page = readLog(dir, { cursor: 0, limit: 2, grep });
    expect(page).toMatchObject({ next_cursor: 14, has_more: true });
  });

  describe('a capped log', () => {
    function cappedLog(): { dir: string; head: DecodedLine[]; tail: DecodedLine[] } {
      const dir = path.join(tmp, 'capped');
      const w = new FileLogWriter(dir, { maxBytes: 8192 });
      writeLines(w, 1000, { text: (i) => `line ${String(i).padStart(4, '0')} ${'y'.repeat(30)}` });
      w.close();
      const [h, ...t] = listSegments(dir);
      return { dir, head: decodeFile(h!), tail: t.flatMap(decodeFile) };
    }

    it('puts a marker saying how many lines and bytes were dropped between head and tail', () => {
      const { dir, head, tail } = cappedLog();
      const lastHead = head.at(-1)!;
      const firstTail = tail[0]!;
      const lines = firstTail.seq - lastHead.seq - 1;
      expect(lines).toBeGreaterThan(100);
      // Each line is 40 bytes plus its newline, so the gap is exactly that many lines of 41 bytes.
      const text = omittedMarker(lines, lines * 41);
      expect(capMarker(dir)).toEqual({ seq: lastHead.seq, ts: firstTail.ts, stream: 'system', text });

      const all = readLog(dir, { limit: 100_000 });
      expect(all.total_lines).toBe(1000);
      const at = all.lines.findIndex((l) => l.stream === 'system');
      expect(all.lines[at - 1]!.seq).toBe(lastHead.seq);
      expect(all.lines[at]).toMatchObject({ stream: 'system', text });
      expect(all.lines[at + 1]!.seq).toBe(firstTail.seq);
      expect(all.lines.filter((l) => l.stream === 'system')).toHaveLength(1);
      // A tail that does not reach back into the head needs no marker.
      expect(readLog(dir, { limit: 5 }).lines.map((l) => l.seq)).toEqual(range(996, 1000));
    });

    it('shows the marker exactly once when cursor pages meet the gap, wherever a page ends', () => {
      const { dir, head } = cappedLog();
      const lastHead = head.at(-1)!.seq;
      for (const pageSize of [1, 3, lastHead, lastHead + 1]) {
        const got: string[] = [];
        let cursor = 0;
        for (;;) {
          const r = readLog(dir, { cursor, limit: pageSize });
          got.push(...r.lines.map((l) => (l.stream === 'system' ? 'MARK' : String(l.seq))));
          cursor = r.next_cursor;
          if (!r.has_more) break;
        }
        expect(
          got.filter((g) => g === 'MARK'),
          `page size ${pageSize}`,
        ).toHaveLength(1);
        expect(got[got.indexOf('MARK') - 1]).toBe(String(lastHead));
      }
    });
  });

  for (const { chars, n } of [
    { chars: 8000, n: 25_000 },
    // As long as the executor lets a line be (64 KB): no 64 KB window holds a whole one.
    { chars: 65_536, n: 3_100 },
  ]) {
    it(
      `reads the end of a 200 MB log of ${chars}-character lines without reading the file`,
      { timeout: 120_000 },
      () => {
        const dir = jobDir(tmp, newJobId());
        const w = new FileLogWriter(dir, { maxBytes: 1 << 30 });
        const long = 'z'.repeat(chars);
        for (let i = 1; i <= n; i++) {
          w.add('stdout', `${i} ${long}`, i * (chars + 8));
          if (i % 500 === 0) w.flush();
        }
        w.close();
        const size = fs.statSync(path.join(dir, 'head.log')).size;
        expect(size).toBeGreaterThan(200_000_000);

        const readBytes = procReadBytes();
        const measure = <T>(fn: () => T): { value: T; bytes: number; ms: number } => {
          const b0 = readBytes();
          const t0 = performance.now();
          const value = fn();
          const ms = performance.now() - t0;
          return { value, bytes: readBytes() - b0, ms };
        };
        const tail = measure(() => readLog(dir, { limit: 20 }));
        const cursor = measure(() => readLog(dir, { cursor: n - 10, limit: 100 }));
        const mid = measure(() => readLog(dir, { cursor: n / 2, limit: 5 }));
        const full = measure(() => fs.readFileSync(path.join(dir, 'head.log')).length);

        expectLines(tail.value, range(n - 19, n));
        expect(tail.value.total_lines).toBe(n);
        expectLines(cursor.value, range(n - 9, n));
        expect(cursor.value.has_more).toBe(false);
        expectLines(mid.value, range(n / 2 + 1, n / 2 + 5));
        expect(mid.value.has_more).toBe(true);
        if (fs.existsSync('/proc/self/io')) {
          // Counted by the kernel (/proc/self/io rchar): each read touches a few 64 KB chunks, not 200 MB.
          expect(full.bytes).toBeGreaterThanOrEqual(size);
          for (const m of [tail, cursor, mid]) expect(m.bytes).toBeLessThan(4 * 1024 * 1024);
        } else {
          // Loose, where the kernel does not count: far below the time one full read of the (cached) file takes.
          for (const m of [tail, cursor, mid]) expect(m.ms).toBeLessThan(Math.max(full.ms / 4, 100));
        }
      },
    );
  }
});

function expectLines(r: ReadResult, seqs: number[]): void {
  expect(r.lines.map((l) => l.seq)).toEqual(seqs);
  for (const l of r.lines) expect(l.text.startsWith(`${l.seq} z`)).toBe(true);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Bytes this process has read through system calls so far, or 0 where the kernel does not say. */
function procReadBytes(): () => number {
  return () => {
    try {
      return Number(/^rchar: (\d+)$/m.exec(fs.readFileSync('/proc/self/io', 'utf8'))?.[1] ?? 0);
    } catch {
      return 0;
    }
  };
}
