// OffsetLineSplitter (src/remote-bash/frames.ts): lines with exact byte offsets out of frame payloads.
import { describe, expect, it } from 'vitest';
import { countNewlines, OffsetLineSplitter } from '../../src/remote-bash/frames.js';
import { chunkings, rng, split } from './chunking.js';

interface Line {
  text: string;
  end: number;
}

/** Runs a splitter over `chunks`, collecting each line's text (from the view it is handed) and end offset. */
function splitLines(chunks: Buffer[], start = 0, maxLine?: number): { lines: Line[]; committed: number } {
  const lines: Line[] = [];
  const onLine = (buf: Buffer, from: number, to: number, end: number) => {
    lines.push({ text: buf.toString('utf8', from, to), end });
  };
  const s =
    maxLine === undefined ? new OffsetLineSplitter(start, onLine) : new OffsetLineSplitter(start, onLine, maxLine);
  for (const c of chunks) s.push(c);
  s.end();
  return { lines, committed: s.committed };
}

describe('OffsetLineSplitter', () => {
  it('reports the exact byte offset after every line, whatever the chunking', () => {
    const data = Buffer.from('one\ntwo\n\nthré€\nlast without newline');
    const want: Line[] = [
      { text: 'one', end: 4 },
      { text: 'two', end: 8 },
      { text: '', end: 9 },
      { text: 'thré€', end: 9 + Buffer.byteLength('thré€') + 1 },
      { text: 'last without newline', end: data.length },
    ];
    for (const chunks of chunkings(data)) {
      const r = splitLines(chunks);
      expect(r.lines, `${chunks.length} chunks`).toEqual(want);
      expect(r.committed).toBe(data.length);
    }
  });

  it('continues from a resumed offset', () => {
    const r = splitLines([Buffer.from('a\nbb\n')], 1000);
    expect(r.lines).toEqual([
      { text: 'a', end: 1002 },
      { text: 'bb', end: 1005 },
    ]);
  });

  it('drops the CR of CRLF from the text but counts it in the offsets', () => {
    const data = Buffer.from('dos\r\nline\r\n\r\nbare\rcr\n');
    for (const chunks of chunkings(data)) {
      expect(splitLines(chunks).lines).toEqual([
        { text: 'dos', end: 5 },
        { text: 'line', end: 11 },
        { text: '', end: 13 },
        { text: 'bare\rcr', end: data.length },
      ]);
    }
  });

  it('keeps invalid UTF-8 from breaking lines or offsets', () => {
    const data = Buffer.concat([
      Buffer.from([0xff, 0xfe, 0x41, 10]),
      Buffer.from([0xe2, 0x82]), // a euro sign cut short
      Buffer.from('\nok\n'),
    ]);
    for (const chunks of chunkings(data)) {
      const r = splitLines(chunks);
      expect(r.lines.map((l) => l.end)).toEqual([4, 7, 10]);
      expect(r.lines[0]!.text).toBe('\uFFFD\uFFFDA');
      expect(r.lines[1]!.text).toMatch(/^\uFFFD+$/);
      expect(r.lines[2]!.text).toBe('ok');
    }
  });

  it('cuts lines longer than maxLine into pieces of at most maxLine bytes, with exact offsets', () => {
    const maxLine = 16;
    const data = Buffer.from(`${'a'.repeat(40)}\nshort\n${'b'.repeat(20)}`);
    const r = splitLines(
      split(data, () => 5),
      0,
      maxLine,
    );
    expect(r.lines).toEqual([
      { text: 'a'.repeat(16), end: 16 },
      { text: 'a'.repeat(16), end: 32 },
      { text: 'a'.repeat(8), end: 41 },
      { text: 'short', end: 47 },
      { text: 'b'.repeat(16), end: 63 },
      { text: 'b'.repeat(4), end: 67 },
    ]);
  });

  // After a resume the chunking differs: the same output must still be split into the same lines, a long line
  // whole inside one chunk and a line of exactly maxLine bytes whose newline comes in the next chunk included.
  it('cuts long lines the same way whatever the chunking', () => {
    const maxLine = 16;
    const lengths = [15, 16, 17, 40, 48];
    const data = Buffer.from(lengths.map((n, i) => String.fromCharCode(97 + i).repeat(n)).join('\n') + '\n');
    const reference = splitLines(
      split(data, () => 1),
      0,
      maxLine,
    );
    for (const l of reference.lines) expect(Buffer.byteLength(l.text)).toBeLessThanOrEqual(maxLine);
    for (const chunks of chunkings(data)) {
      const r = splitLines(chunks, 0, maxLine);
      expect(r.lines, `${chunks.length} chunks`).toEqual(reference.lines);
    }
  });
});

/** The same, with runs handed over whole: each run is expanded into its lines, and checked to be plain. */
function splitRuns(chunks: Buffer[], maxLine: number): { lines: Line[]; runs: number; committed: number } {
  const lines: Line[] = [];
  let runs = 0;
  const onLine = (buf: Buffer, from: number, to: number, end: number) => {
    lines.push({ text: buf.toString('utf8', from, to), end });
  };
  const onLines = (buf: Buffer, from: number, to: number, count: number, end: number) => {
    runs++;
    const run = buf.subarray(from, to);
    expect(run.at(-1)).toBe(10);
    const texts = run.toString('utf8').split('\n').slice(0, -1);
    expect(texts).toHaveLength(count);
    let at = end - run.length;
    for (const t of texts) {
      expect(t.endsWith('\r')).toBe(false);
      expect(Buffer.byteLength(t)).toBeLessThanOrEqual(maxLine);
      at += Buffer.byteLength(t) + 1;
      lines.push({ text: t, end: at });
    }
    expect(at).toBe(end);
  };
  const s = new OffsetLineSplitter(0, onLine, maxLine, onLines);
  for (const c of chunks) s.push(c);
  s.end();
  return { lines, runs, committed: s.committed };
}

describe('OffsetLineSplitter with runs', () => {
  it('hands plain lines over in runs and gives the same lines and offsets as line by line', () => {
    const maxLine = 16;
    const data = Buffer.from(
      [
        '1',
        '22',
        '',
        'crlf\r',
        'bare\rcr',
        'x'.repeat(16),
        'y'.repeat(17),
        'z'.repeat(40) + '\r',
        '\t9\t8',
        'tail',
      ].join('\n'),
    );
    const reference = splitLines(
      split(data, () => 1),
      0,
      maxLine,
    );
    for (const chunks of chunkings(data)) {
      const r = splitRuns(chunks, maxLine);
      expect(r.lines, `${chunks.length} chunks`).toEqual(reference.lines);
      expect(r.committed).toBe(data.length);
    }
    // Whole, the plain lines before the CRLF line come as one run.
    expect(splitRuns([data], maxLine).runs).toBeLessThanOrEqual(4);
  });

  it('takes a chunk of short plain lines as one run', () => {
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => `${i}\n`).join(''));
    const r = splitRuns([data], 64 * 1024);
    expect(r.runs).toBe(1);
    expect(r.lines).toHaveLength(1000);
    expect(r.lines.at(-1)).toEqual({ text: '999', end: data.length });
  });
});

describe('countNewlines', () => {
  it('counts at any alignment and length', () => {
    const r = rng(5);
    const bytes = Buffer.from(Array.from({ length: 300 }, () => (r() < 0.3 ? 10 : Math.floor(r() * 256))));
    for (let from = 0; from < 9; from++)
      for (let to = from; to <= bytes.length; to += 7) {
        const want = [...bytes.subarray(from, to)].filter((b) => b === 10).length;
        expect(countNewlines(bytes, from, to)).toBe(want);
        // A view at an odd offset of a larger buffer.
        expect(countNewlines(bytes.subarray(1), Math.max(0, from - 1), Math.max(0, to - 1))).toBe(
          [...bytes.subarray(1).subarray(Math.max(0, from - 1), Math.max(0, to - 1))].filter((b) => b === 10).length,
        );
      }
  });
});
