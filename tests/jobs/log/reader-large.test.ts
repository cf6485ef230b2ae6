import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobDir } from '../../../src/jobs/log/file-store.js';
import { FileLogWriter } from '../../../src/jobs/log/writer.js';
import { readLog } from '../../../src/jobs/log/reader.js';
import type { ReadResult } from '../../../src/jobs/store/contract.js';
import { newJobId } from '../../../src/jobs/types.js';
import { useTempDir } from './fixture.js';

const temp = useTempDir();

describe('readLog on a large log', () => {
  for (const { chars, n } of [
    { chars: 8000, n: 25_000 },
    // As long as the executor lets a line be (64 KB): no 64 KB window holds a whole one.
    { chars: 65_536, n: 3_100 },
  ]) {
    it(
      `reads the end of a 200 MB log of ${chars}-character lines without reading the file`,
      { timeout: 120_000 },
      () => {
        const dir = jobDir(temp.dir(), newJobId());
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
