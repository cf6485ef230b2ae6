import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileLogWriter } from '../../../src/jobs/log/writer.js';
import { type DecodedLine } from '../../../src/jobs/log/format.js';
import { capMarker, readLog } from '../../../src/jobs/log/reader.js';
import { listSegments, segmentBytes } from '../../../src/jobs/log/segments.js';
import { omittedMarker } from '../../../src/format.js';
import { decodeFile, useTempDir, writeLines } from './fixture.js';

const temp = useTempDir();

describe('readLog', () => {
  function smallLog(n = 50): string {
    const dir = path.join(temp.dir(), 'small');
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
      const dir = path.join(temp.dir(), 'capped');
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
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
