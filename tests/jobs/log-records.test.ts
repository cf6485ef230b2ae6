import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobLogWriter } from '../../src/jobs/job-log.js';
import { readLog } from '../../src/jobs/log-reader.js';
import { ENTRY_BYTES, readEntry } from '../../src/jobs/log-records.js';
import { scanBackward } from '../../src/jobs/log-segments.js';
import { summarizeStream } from '../../src/jobs/summary.js';

import { allLines, expectAsReference, ingest, output, reference } from './log-records-fixture.js';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-records-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('log format v2', () => {
  const data = { stdout: output(1, 400), stderr: output(2, 150) };
  const want = reference(data.stdout, data.stderr);

  it('reads every line back with its own seq, stream, text and resume offsets, whatever the chunking', () => {
    for (const seed of [3, 4, 5]) {
      const dir = path.join(tmp, `j${seed}`);
      const w = new JobLogWriter(dir, { maxBytes: 1 << 30 });
      ingest(w, data, seed);
      w.close();
      const lines = allLines(dir);
      expectAsReference(lines, want);
      expect(lines.every((l) => l.ts === 1000)).toBe(true);
      // The .log file holds the lines' bytes and nothing else; the index adds a fixed size per record.
      const logBytes = fs.statSync(path.join(dir, 'head.log')).size;
      expect(logBytes).toBe(want.reduce((n, l) => n + Buffer.byteLength(l.text) + 1, 0));
      const backward: number[] = [];
      scanBackward(path.join(dir, 'head.log'), (l) => (backward.push(l.seq), true));
      expect(backward).toEqual(want.map((_, i) => want.length - i));
    }
  });

  it('splits records at a stream change, a new timestamp, a CR line and a cut piece, and carries lines across flushes', () => {
    const dir = path.join(tmp, 'j');
    const w = new JobLogWriter(dir, { maxBytes: 1 << 20 });
    const run = Buffer.from('a\nb\nc\n');
    w.addLines('stdout', run, 0, 4, 2, 4, 10); // a, b
    w.addLines('stdout', run, 4, 6, 1, 6, 10); // c joins the same record
    w.addLines('stderr', run, 0, 6, 3, 6, 10);
    w.flush();
    w.addRange('stdout', Buffer.from('dos'), 0, 3, 11, 11); // consumed "dos\r\n": ends its record
    w.addRange('stdout', Buffer.from('next'), 0, 4, 16, 11);
    w.add('system', 'a note\nwith a newline', undefined, 11);
    w.add('system', 'plain note', undefined, 11);
    w.addRange('stdout', Buffer.from('more'), 0, 4, 21, 12);
    w.close();
    const idx = fs.statSync(path.join(dir, 'head.idx')).size / ENTRY_BYTES;
    // [a b c] [stderr a b c] [dos] [next] [note with newline] [plain note] [more]
    expect(idx).toBe(7);
    expect(
      allLines(dir).map((l) => [l.seq, l.ts, l.stream, l.text, l.off.out, l.off.err, l.off.outN, l.off.errN]),
    ).toEqual([
      [1, 10, 'stdout', 'a', 2, 0, 1, 0],
      [2, 10, 'stdout', 'b', 4, 0, 2, 0],
      [3, 10, 'stdout', 'c', 6, 0, 3, 0],
      [4, 10, 'stderr', 'a', 6, 2, 3, 1],
      [5, 10, 'stderr', 'b', 6, 4, 3, 2],
      [6, 10, 'stderr', 'c', 6, 6, 3, 3],
      [7, 11, 'stdout', 'dos', 11, 6, 4, 3],
      [8, 11, 'stdout', 'next', 16, 6, 5, 3],
      [9, 11, 'system', 'a note\nwith a newline', 16, 6, 5, 3],
      [10, 11, 'system', 'plain note', 16, 6, 5, 3],
      [11, 12, 'stdout', 'more', 21, 6, 6, 3],
    ]);
  });

  it('keeps records small, so the end of a long run reads without reading the run', () => {
    const dir = path.join(tmp, 'j');
    const w = new JobLogWriter(dir, { maxBytes: 1 << 30 });
    const text = Array.from({ length: 100_000 }, (_, i) => `${i + 1}\n`).join('');
    const b = Buffer.from(text);
    w.addLines('stdout', b, 0, b.length, 100_000, b.length, 5);
    w.close();
    // One call, one flush: still several records of at most 64 KB.
    const idx = fs.readFileSync(path.join(dir, 'head.idx'));
    const sizes = Array.from({ length: idx.length / ENTRY_BYTES }, (_, i) => readEntry(idx, i * ENTRY_BYTES)!.bytes);
    expect(sizes.length).toBeGreaterThanOrEqual(Math.ceil(b.length / 65536));
    for (const n of sizes) expect(n).toBeLessThanOrEqual(65536);
    const r = readLog(dir, { limit: 3 });
    expect(r.lines.map((l) => l.text)).toEqual(['99998', '99999', '100000']);
    expect(readLog(dir, { cursor: 49_999, limit: 2 }).lines.map((l) => l.text)).toEqual(['50000', '50001']);
  });

  it('answers cursors inside a record, stream filters and grep', () => {
    const dir = path.join(tmp, 'j');
    const w = new JobLogWriter(dir, { maxBytes: 1 << 30 });
    ingest(w, data, 7);
    w.close();
    for (const cursor of [0, 1, 2, 57, 199, want.length - 1, want.length]) {
      const r = readLog(dir, { cursor, limit: 5 });
      expect(r.lines.map((l) => l.seq)).toEqual(want.slice(cursor, cursor + 5).map((_, i) => cursor + i + 1));
      expect(r.lines.map((l) => l.text)).toEqual(want.slice(cursor, cursor + 5).map((l) => l.text));
    }
    const err = readLog(dir, { cursor: 0, limit: 100_000, stream: 'stderr' }).lines;
    expect(err.map((l) => l.text)).toEqual(want.filter((l) => l.stream === 'stderr').map((l) => l.text));
    const grep = /^crlf \d+$/;
    const hits = readLog(dir, { cursor: 0, limit: 100_000, grep }).lines;
    expect(hits.map((l) => l.text)).toEqual(want.filter((l) => grep.test(l.text)).map((l) => l.text));
    expect(readLog(dir, { limit: 2, grep }).lines.map((l) => l.text)).toEqual(hits.slice(-2).map((l) => l.text));
  });

  it('summarizes each stream with exact totals', () => {
    const dir = path.join(tmp, 'j');
    const w = new JobLogWriter(dir, { maxBytes: 1 << 30 });
    ingest(w, data, 8);
    w.close();
    const outLines = want.filter((l) => l.stream === 'stdout');
    const s = summarizeStream(dir, 'stdout', { headLines: 5, tailLines: 5, maxBytes: 1 << 20 });
    expect(s).toMatchObject({ truncated: true, total_lines: outLines.length, total_bytes: data.stdout.length });
    const parts = s.text.split('\n');
    expect(parts.slice(0, 5)).toEqual(outLines.slice(0, 5).map((l) => l.text));
    expect(parts.slice(-5)).toEqual(outLines.slice(-5).map((l) => l.text));
    // The bytes between head and tail, from the resume offsets of the lines around the gap.
    const omitted = outLines[outLines.length - 6]!.out - outLines[4]!.out;
    expect(parts[5]).toContain(`${outLines.length - 10} lines`);
    expect(omitted).toBeGreaterThan(0);
  });
});
