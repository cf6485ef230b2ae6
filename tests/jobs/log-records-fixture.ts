// Output with every kind of line (empty, long, CR, invalid UTF-8, both streams), ingested as the remote-bash handler
// does, and the reference every read must match.
import { expect } from 'vitest';
import { JobLogWriter } from '../../src/jobs/job-log.js';
import { type DecodedLine, type LogStream } from '../../src/jobs/log-format.js';
import { listSegments, scanForward } from '../../src/jobs/log-segments.js';
import { OffsetLineSplitter } from '../../src/remote-bash/frames.js';

export const MAX_LINE = 16;

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
export function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x7fffffff;
  };
}

/** Output mixing everything that leaves the fast path: CRLF, bare CR, long lines, empty lines, tabs, digits. */
export function output(seed: number, lines: number): Buffer {
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

export function chunks(data: Buffer, seed: number, from = 0): Buffer[] {
  const r = rng(seed);
  const out: Buffer[] = [];
  for (let p = from; p < data.length;) {
    const n = 1 + Math.floor(r() * 40);
    out.push(data.subarray(p, p + n));
    p += n;
  }
  return out;
}

export interface Expected {
  stream: LogStream;
  text: string;
  out: number;
  err: number;
  outN: number;
  errN: number;
}

/** What every line must read back as: the per-line path of the splitter (no runs), with running counters. */
export function reference(out: Buffer, err: Buffer): Expected[] {
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
export function ingest(w: JobLogWriter, data: { stdout: Buffer; stderr: Buffer }, seed: number, ts = 1000): void {
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

export function allLines(dir: string): DecodedLine[] {
  const lines: DecodedLine[] = [];
  for (const file of listSegments(dir)) scanForward(file, 0, (l) => (lines.push(l), true));
  return lines;
}

export function expectAsReference(lines: DecodedLine[], want: Expected[]): void {
  expect(lines.map((l) => l.seq)).toEqual(want.map((_, i) => i + 1));
  expect(
    lines.map((l) => ({ stream: l.stream, text: l.text, ...l.off })),
    'text, stream and offsets of every line',
  ).toEqual(want);
}
