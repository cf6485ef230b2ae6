import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLogWriter } from '../../../src/jobs/log/writer.js';
import type { DecodedLine, LogStream } from '../../../src/jobs/log/format.js';
import { capMarker, readLog } from '../../../src/jobs/log/reader.js';
import { ENTRY_BYTES, readEntry } from '../../../src/jobs/log/records.js';
import { listSegments, scanBackward, scanForward } from '../../../src/jobs/log/segments.js';
import { summarizeStream } from '../../../src/jobs/log/summary.js';
import { OffsetLineSplitter } from '../../../src/remote-bash/frames.js';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-records-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const MAX_LINE = 16;

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x7fffffff;
  };
}

/** Output mixing everything that leaves the fast path: CRLF, bare CR, long lines, empty lines, tabs, digits. */
function output(seed: number, lines: number): Buffer {
  const r = rng(seed);
  const parts: string[] = [];
  for (let i = 0; i < lines; i++) {
    const k = r();
    if (k < 0.1) parts.push(`crlf ${i}\r\n`);
    else if (k < 0.15) parts.push(`${'L'.repeat(Math.floor(r() * 3 * MAX_LINE))}${i}\n`);
    else if (k < 0.2) parts.push('\n');
    else if (k < 0.25) parts.push(`bare\r${i}\n`);
    // Text shaped like a v1 record and like an index entry's numbers: never taken for framing.
    else if (k < 0.3) parts.push(`${i}\t1000\to\t5\t6\t7\t8\tx\n`);
    else parts.push(`${i}\n`);
  }
  return Buffer.from(parts.join(''));
}

function chunks(data: Buffer, seed: number, from = 0): Buffer[] {
  const r = rng(seed);
  const out: Buffer[] = [];
  for (let p = from; p < data.length;) {
    const n = 1 + Math.floor(r() * 40);
    out.push(data.subarray(p, p + n));
    p += n;
  }
  return out;
}

interface Expected {
  stream: LogStream;
  text: string;
  out: number;
  err: number;
  outN: number;
  errN: number;
}

/** What every line must read back as: the per-line path of the splitter (no runs), with running counters. */
function reference(out: Buffer, err: Buffer): Expected[] {
  const lines: Expected[] = [];
  const off = { out: 0, err: 0, outN: 0, errN: 0 };
  const collect = (stream: 'stdout' | 'stderr', data: Buffer) => {
    const got: { text: string; end: number }[] = [];
    const s = new OffsetLineSplitter(
      0,
      (b, st, e, end) => got.push({ text: b.toString('utf8', st, e), end }),
      MAX_LINE,
    );
    s.push(data);
    s.end();
    return got.map((g) => ({ stream, ...g }));
  };
  // In the order ingest() below writes them: all of stdout, then all of stderr.
  for (const l of [...collect('stdout', out), ...collect('stderr', err)]) {
    if (l.stream === 'stdout') {
      off.out = l.end;
      off.outN++;
    } else {
      off.err = l.end;
      off.errN++;
    }
    lines.push({ stream: l.stream, text: l.text, ...off });
  }
  return lines;
}

/** Feeds streams through splitters into a writer as the executor does, a flush per chunk. */
function ingest(w: FileLogWriter, data: { stdout: Buffer; stderr: Buffer }, seed: number, ts = 1000): void {
  for (const stream of ['stdout', 'stderr'] as const) {
    const from = stream === 'stdout' ? w.offsets.out : w.offsets.err;
    const s = new OffsetLineSplitter(
      from,
      (b, st, e, off) => w.addRange(stream, b, st, e, off, ts),
      MAX_LINE,
      (b, st, e, n, off) => w.addLines(stream, b, st, e, n, off, ts),
    );
    for (const c of chunks(data[stream], seed, from)) {
      s.push(c);
      w.flush();
    }
    s.end();
    w.flush();
  }
}

function allLines(dir: string): DecodedLine[] {
  const lines: DecodedLine[] = [];
  for (const file of listSegments(dir)) scanForward(file, 0, (l) => (lines.push(l), true));
  return lines;
}

function expectAsReference(lines: DecodedLine[], want: Expected[]): void {
  expect(lines.map((l) => l.seq)).toEqual(want.map((_, i) => i + 1));
  expect(
    lines.map((l) => ({ stream: l.stream, text: l.text, ...l.off })),
    'text, stream and offsets of every line',
  ).toEqual(want);
}

describe('log format v2', () => {
  const data = { stdout: output(1, 400), stderr: output(2, 150) };
  const want = reference(data.stdout, data.stderr);

  it('reads every line back with its own seq, stream, text and resume offsets, whatever the chunking', () => {
    for (const seed of [3, 4, 5]) {
      const dir = path.join(tmp, `j${seed}`);
      const w = new FileLogWriter(dir, { maxBytes: 1 << 30 });
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
    const w = new FileLogWriter(dir, { maxBytes: 1 << 20 });
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
    const w = new FileLogWriter(dir, { maxBytes: 1 << 30 });
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
    const w = new FileLogWriter(dir, { maxBytes: 1 << 30 });
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
    const w = new FileLogWriter(dir, { maxBytes: 1 << 30 });
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

  it('rolls segments on record boundaries and marks the gap', () => {
    const dir = path.join(tmp, 'j');
    const w = new FileLogWriter(dir, { maxBytes: 4096 });
    ingest(w, data, 9);
    w.close();
    const segs = listSegments(dir);
    expect(segs.length).toBe(3);
    for (const s of segs) expect(fs.existsSync(s.replace(/\.log$/, '.idx'))).toBe(true);
    // Only the index files of the kept segments remain.
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.idx'))).toHaveLength(3);
    const [head, ...tails] = segs.map((s) => {
      const lines: DecodedLine[] = [];
      scanForward(s, 0, (l) => (lines.push(l), true));
      return lines;
    });
    const tail = tails.flat();
    expect(head![0]!.seq).toBe(1);
    expect(tail.at(-1)!.seq).toBe(want.length);
    for (const l of [...head!, ...tail]) expect({ stream: l.stream, text: l.text, ...l.off }).toEqual(want[l.seq - 1]);
    const marker = capMarker(dir)!;
    expect(marker.seq).toBe(head!.at(-1)!.seq);
    const all = readLog(dir, { cursor: 0, limit: 100_000 }).lines;
    expect(all.filter((l) => l.stream === 'system')).toHaveLength(1);
  });

  it('after a crash at any point of a flush, resumes with no line lost and none twice', () => {
    const full = path.join(tmp, 'full');
    const w = new FileLogWriter(full, { maxBytes: 1 << 30 });
    ingest(w, data, 10);
    w.close();
    const log = fs.readFileSync(path.join(full, 'head.log'));
    const idx = fs.readFileSync(path.join(full, 'head.idx'));
    const entries = idx.length / ENTRY_BYTES;
    const r = rng(11);
    for (let trial = 0; trial < 40; trial++) {
      // Entries up to k are complete; the .log has some bytes past the last one; the index maybe half an entry.
      const k = Math.floor(r() * entries);
      const end = k === 0 ? 0 : idx.readDoubleLE((k - 1) * ENTRY_BYTES) + idx.readUInt32LE((k - 1) * ENTRY_BYTES + 64);
      const extra = Math.floor(r() * Math.min(200, log.length - end + 1));
      const torn = Math.floor(r() * ENTRY_BYTES);
      const dir = path.join(tmp, `crash${trial}`);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'head.log'), log.subarray(0, end + extra));
      fs.writeFileSync(path.join(dir, 'head.idx'), idx.subarray(0, k * ENTRY_BYTES + torn));
      const again = new FileLogWriter(dir, { maxBytes: 1 << 30 });
      expect(fs.statSync(path.join(dir, 'head.log')).size).toBe(end);
      expect(fs.statSync(path.join(dir, 'head.idx')).size).toBe(k * ENTRY_BYTES);
      // The executor resumes each stream from the restored offsets (stdout first, as ingest does).
      ingest(again, data, 12 + trial);
      again.close();
      expectAsReference(allLines(dir), want);
    }
  });

  it('recovers a segment whose records were never indexed by emptying it and reading the one before', () => {
    const dir = path.join(tmp, 'j');
    const w = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    w.add('stdout', 'one', 4, 1);
    w.add('stdout', 'two', 8, 1);
    w.close();
    fs.writeFileSync(path.join(dir, 'tail-0.idx'), '');
    fs.writeFileSync(path.join(dir, 'tail-0.log'), 'three\nfo');
    const r = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    expect(fs.statSync(path.join(dir, 'tail-0.log')).size).toBe(0);
    expect(r.seq).toBe(2);
    expect(r.offsets).toEqual({ out: 8, err: 0, outN: 2, errN: 0 });
  });
});
