// Writing job logs the way the remote-bash handler does, and reading segments back byte for byte.
import fs from 'node:fs';
import { expect } from 'vitest';
import type { JobLogWriter } from '../../src/jobs/job-log.js';
import type { DecodedLine, LogStream } from '../../src/jobs/log-format.js';
import { listSegments, scanForward } from '../../src/jobs/log-segments.js';

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
  w: JobLogWriter,
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
