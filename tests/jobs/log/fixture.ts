import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import type { FileLogWriter } from '../../../src/jobs/log/writer.js';
import type { DecodedLine, LogStream } from '../../../src/jobs/log/format.js';
import { listSegments, scanForward } from '../../../src/jobs/log/segments.js';

/** A fresh temp directory per test, removed after it: `dir()` inside a test. */
export function useTempDir(): { dir(): string } {
  let tmp: string | undefined;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-joblog-'));
  });
  afterEach(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });
  return {
    dir() {
      if (!tmp) throw new Error('useTempDir: use dir() inside a test');
      return tmp;
    },
  };
}

/** Every line of a segment, through its index; the .log file holds exactly their bytes. */
export function decodeFile(file: string): DecodedLine[] {
  const lines: DecodedLine[] = [];
  scanForward(file, 0, (l) => (lines.push(l), true));
  expect(fs.readFileSync(file, 'utf8')).toBe(lines.map((l) => `${l.text}\n`).join(''));
  return lines;
}

export const allLines = (dir: string) => listSegments(dir).flatMap(decodeFile);

/** Writes `n` lines the way the remote-bash executor does: remote end offsets per stream, a flush per batch. */
export function writeLines(
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
