import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLogWriter } from '../../../src/jobs/log/writer.js';
import { listSegments } from '../../../src/jobs/log/segments.js';
import { summarizeStream } from '../../../src/jobs/log/summary.js';
import { omittedMarker } from '../../../src/format.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-summary-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes lines as the executor does, with each stream's remote end offset; returns the texts per stream. */
function write(
  lines: readonly (readonly ['stdout' | 'stderr' | 'system', string])[],
  maxBytes = 1 << 20,
): { stdout: string[]; stderr: string[] } {
  const w = new FileLogWriter(path.join(dir, 'log'), { maxBytes });
  const seen = { stdout: [] as string[], stderr: [] as string[] };
  for (const [s, t] of lines) {
    const bytes = Buffer.byteLength(t) + 1;
    if (s === 'system') w.add(s, t);
    else {
      w.add(s, t, (s === 'stdout' ? w.offsets.out : w.offsets.err) + bytes);
      seen[s].push(t);
    }
    w.flush();
  }
  w.close();
  return seen;
}

const logDir = () => path.join(dir, 'log');
const bytesOf = (ts: string[]) => ts.reduce((n, t) => n + Buffer.byteLength(t) + 1, 0);

/** 100 stdout lines `out-NNN`, with a stderr line after every 4th and a system line now and then. */
function mixed(n = 100): ['stdout' | 'stderr' | 'system', string][] {
  const out: ['stdout' | 'stderr' | 'system', string][] = [];
  for (let i = 1; i <= n; i++) {
    out.push(['stdout', `out-${String(i).padStart(3, '0')}`]);
    if (i % 4 === 0) out.push(['stderr', `err-${String(i / 4).padStart(3, '0')}`]);
    if (i % 30 === 0) out.push(['system', `note ${i}`]);
  }
  return out;
}

describe('summarizeStream', () => {
  it('returns a short stream whole, one stream at a time', () => {
    const seen = write(mixed(20));
    const caps = { headLines: 100, tailLines: 200, maxBytes: 64 * 1024 };
    expect(summarizeStream(logDir(), 'stdout', caps)).toEqual({
      text: seen.stdout.join('\n'),
      truncated: false,
      total_lines: 20,
      total_bytes: bytesOf(seen.stdout),
    });
    expect(summarizeStream(logDir(), 'stderr', caps)).toEqual({
      text: seen.stderr.join('\n'),
      truncated: false,
      total_lines: 5,
      total_bytes: bytesOf(seen.stderr),
    });
  });

  it('keeps head and tail by line count with a marker giving the exact lines and bytes between', () => {
    const seen = write(mixed(100));
    const s = summarizeStream(logDir(), 'stdout', { headLines: 10, tailLines: 20, maxBytes: 64 * 1024 });
    const omitted = seen.stdout.slice(10, 80);
    expect(omitted).toHaveLength(70);
    expect(s.text).toBe(
      [...seen.stdout.slice(0, 10), omittedMarker(70, bytesOf(omitted)), ...seen.stdout.slice(80)].join('\n'),
    );
    expect(s.text).toContain('[… 70 lines (560 B) omitted …]');
    expect(s).toMatchObject({ truncated: true, total_lines: 100, total_bytes: 800 });

    const e = summarizeStream(logDir(), 'stderr', { headLines: 3, tailLines: 2, maxBytes: 64 * 1024 });
    expect(e.text).toBe([...seen.stderr.slice(0, 3), omittedMarker(20, 160), ...seen.stderr.slice(23)].join('\n'));
    expect(e).toMatchObject({ truncated: true, total_lines: 25 });
  });

  it('keeps a third of maxBytes for the head and the rest for the tail', () => {
    // 9-character lines: 10 bytes each with the newline.
    const lines = Array.from({ length: 100 }, (_, i) => ['stdout', `l-${String(i + 1).padStart(7, '0')}`] as const);
    const seen = write(lines);
    const s = summarizeStream(logDir(), 'stdout', { headLines: 1000, tailLines: 1000, maxBytes: 300 });
    // Head: 100 bytes (10 lines); tail: 200 bytes (20 lines).
    expect(s.text).toBe([...seen.stdout.slice(0, 10), omittedMarker(70, 700), ...seen.stdout.slice(80)].join('\n'));
    expect(s.truncated).toBe(true);
  });

  it('cuts a very long line and counts the cut size against the caps', () => {
    const long = 'x'.repeat(5000);
    write([
      ['stdout', 'first'],
      ['stdout', long],
      ['stdout', 'last'],
    ]);
    // Head cap 1000 bytes, tail cap 2000, lines cut at 2000 / 4 = 500 characters: uncut, the long line fits
    // neither and would be omitted; cut, all three lines fit in the head.
    const s = summarizeStream(logDir(), 'stdout', { headLines: 100, tailLines: 100, maxBytes: 3000 });
    const maxLine = 500;
    expect(s.text).toBe(['first', `${'x'.repeat(maxLine)} …[line cut at ${maxLine} characters]`, 'last'].join('\n'));
    expect(s).toMatchObject({ truncated: false, total_lines: 3, total_bytes: 6 + 5001 + 5 });
  });

  it('counts lines the capped log already dropped as omitted, with their bytes', () => {
    const lines = Array.from(
      { length: 1000 },
      (_, i) => ['stdout', `line ${String(i + 1).padStart(4, '0')} ${'y'.repeat(30)}`] as const,
    );
    const seen = write(lines, 8192);
    expect(listSegments(logDir()).length).toBe(3);
    const s = summarizeStream(logDir(), 'stdout', { headLines: 5, tailLines: 5, maxBytes: 64 * 1024 });
    expect(s.text).toBe(
      [...seen.stdout.slice(0, 5), omittedMarker(990, 990 * 41), ...seen.stdout.slice(995)].join('\n'),
    );
    expect(s).toMatchObject({ truncated: true, total_lines: 1000, total_bytes: 1000 * 41 });
  });

  it('answers an empty or missing log with nothing', () => {
    const empty = { text: '', truncated: false, total_lines: 0, total_bytes: 0 };
    const caps = { headLines: 10, tailLines: 10, maxBytes: 1024 };
    expect(summarizeStream(path.join(dir, 'nope'), 'stdout', caps)).toEqual(empty);
    write([['stderr', 'only stderr']]);
    expect(summarizeStream(logDir(), 'stdout', caps)).toMatchObject({ text: '', truncated: false, total_lines: 0 });
  });
});
