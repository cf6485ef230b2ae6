import { describe, expect, it } from 'vitest';
import type { LogWriter, Stores } from '../../../../src/jobs/store/contract.js';
import { newJobId } from '../../../../src/jobs/types.js';
import { omittedMarker } from '../../../../src/format.js';
import { A, B, type MakeWorld } from './world.js';

type Stream = 'stdout' | 'stderr' | 'system';

/** Writes lines as the executor does (remote end offsets per stream), flushing every `batch` lines. */
async function write(
  w: LogWriter,
  n: number,
  o: { stream?: (i: number) => Stream; text?: (i: number) => string; batch?: number } = {},
) {
  for (let i = 1; i <= n; i++) {
    const s = o.stream?.(i) ?? 'stdout';
    const t = o.text?.(i) ?? `line ${i}`;
    const bytes = Buffer.byteLength(t) + 1;
    if (s === 'system') w.add(s, t, undefined, 1000 + i);
    else w.add(s, t, (s === 'stdout' ? w.offsets.out : w.offsets.err) + bytes, 1000 + i);
    if (i % (o.batch ?? 5) === 0) await w.flush();
  }
  await w.flush();
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

export function logsContract(world: MakeWorld): void {
  describe('logs', () => {
    const mixed = {
      stream: (i: number): Stream => (i % 10 === 0 ? 'system' : i % 3 === 0 ? 'stderr' : 'stdout'),
      text: (i: number) => (i % 7 === 0 ? `error ${i}` : `line ${i}\twith tab`),
      batch: 4,
    };

    async function pair(): Promise<[Stores, Stores]> {
      const w = await world();
      return [await w.open(A), await w.open(B)];
    }

    it('writes lines that another instance reads: tail, cursor pages, stream filter, grep, totals and size', async () => {
      const [a, b] = await pair();
      const id = newJobId();
      expect(await b.logs.size(id)).toBe(0);
      expect(await b.logs.read(id, { limit: 10 })).toMatchObject({ lines: [], total_lines: 0, has_more: false });
      const w = await a.logs.open(id, { maxBytes: 1 << 20 });
      expect(w.seq).toBe(0);
      await write(w, 50, mixed);
      await w.close();
      const tail = await b.logs.read(id, { limit: 5 });
      expect(tail.lines.map((l) => l.seq)).toEqual(range(46, 50));
      expect(tail.lines[0]).toEqual({ seq: 46, ts: 1046, stream: 'stdout', text: 'line 46\twith tab' });
      expect(tail).toMatchObject({ next_cursor: 50, has_more: false, total_lines: 50 });
      expect(tail.log_bytes).toBeGreaterThan(0);
      expect(await b.logs.size(id)).toBe(tail.log_bytes);
      expect((await b.logs.read(id, { limit: 500 })).lines.map((l) => l.seq)).toEqual(range(1, 50));

      const seen: number[] = [];
      let cursor = 0;
      for (;;) {
        const r = await b.logs.read(id, { cursor, limit: 7 });
        seen.push(...r.lines.map((l) => l.seq));
        cursor = r.next_cursor;
        if (!r.has_more) break;
        expect(r.lines).toHaveLength(7);
      }
      expect(seen).toEqual(range(1, 50));
      expect(await b.logs.read(id, { cursor: 50, limit: 7 })).toMatchObject({
        lines: [],
        next_cursor: 50,
        has_more: false,
      });

      const out = (await b.logs.read(id, { cursor: 0, limit: 1000, stream: 'stdout' })).lines;
      expect(out.map((l) => l.seq)).toEqual(range(1, 50).filter((i) => i % 3 !== 0 || i % 10 === 0));
      const err = (await b.logs.read(id, { limit: 3, stream: 'stderr' })).lines;
      expect(err.map((l) => [l.seq, l.stream])).toEqual([
        [45, 'stderr'],
        [48, 'stderr'],
        [50, 'system'],
      ]);
      const grep = /^error/;
      expect((await b.logs.read(id, { cursor: 0, limit: 1000, grep })).lines.map((l) => l.seq)).toEqual([
        7, 14, 21, 28, 35, 42, 49,
      ]);
      expect((await b.logs.read(id, { limit: 2, grep })).lines.map((l) => l.seq)).toEqual([42, 49]);
      // A filtered cursor read moves past what it scanned, not only what it returned.
      expect(await b.logs.read(id, { cursor: 0, limit: 2, grep })).toMatchObject({ next_cursor: 14, has_more: true });
    });

    it('caps a log to head + rolling tail, with one marker giving the lines and bytes dropped', async () => {
      const [a, b] = await pair();
      const id = newJobId();
      const w = await a.logs.open(id, { maxBytes: 8192 });
      await write(w, 1000, { text: (i) => `line ${String(i).padStart(4, '0')} ${'y'.repeat(30)}`, batch: 3 });
      await w.close();
      const all = await b.logs.read(id, { limit: 100_000 });
      expect(all.total_lines).toBe(1000);
      expect(all.log_bytes).toBeLessThanOrEqual(8192 * 1.25);
      const at = all.lines.findIndex((l) => l.stream === 'system');
      expect(at).toBeGreaterThan(0);
      const headLast = all.lines[at - 1]!.seq;
      const tailFirst = all.lines[at + 1]!.seq;
      expect(all.lines.slice(0, at).map((l) => l.seq)).toEqual(range(1, headLast));
      expect(all.lines.slice(at + 1).map((l) => l.seq)).toEqual(range(tailFirst, 1000));
      const lines = tailFirst - headLast - 1;
      expect(all.lines[at]!.text).toBe(omittedMarker(lines, lines * 41));
      // Cursor pages show the marker once, wherever a page ends.
      for (const size of [1, 7, headLast]) {
        const got: string[] = [];
        let cursor = 0;
        for (;;) {
          const r = await b.logs.read(id, { cursor, limit: size });
          got.push(...r.lines.map((l) => (l.stream === 'system' ? 'MARK' : String(l.seq))));
          cursor = r.next_cursor;
          if (!r.has_more) break;
        }
        expect(got.filter((g) => g === 'MARK')).toHaveLength(1);
        expect(got[got.indexOf('MARK') - 1]).toBe(String(headLast));
      }
      // The summary counts what the cap dropped as omitted.
      const sum = await b.logs.summarize(id, 'stdout', { headLines: 3, tailLines: 2, maxBytes: 1 << 20 });
      expect(sum).toMatchObject({ truncated: true, total_lines: 1000, total_bytes: 1000 * 41 });
      const parts = sum.text.split('\n');
      expect(parts).toHaveLength(6);
      expect(parts[3]).toBe(omittedMarker(995, 995 * 41));
      expect(parts[5]).toMatch(/^line 1000 /);
    });

    it('summarizes one stream: whole when short, head and tail with an exact marker when long', async () => {
      const [a, b] = await pair();
      const id = newJobId();
      const w = await a.logs.open(id, { maxBytes: 1 << 20 });
      await write(w, 100, {
        stream: (i) => (i % 5 === 0 ? 'stderr' : i % 17 === 0 ? 'system' : 'stdout'),
        text: (i) => `out-${String(i).padStart(3, '0')}`,
      });
      await w.close();
      const errs = range(1, 100).filter((i) => i % 5 === 0);
      const whole = await b.logs.summarize(id, 'stderr', { headLines: 100, tailLines: 100, maxBytes: 1 << 20 });
      expect(whole).toEqual({
        text: errs.map((i) => `out-${String(i).padStart(3, '0')}`).join('\n'),
        truncated: false,
        total_lines: 20,
        total_bytes: 20 * 8,
      });
      const outs = range(1, 100).filter((i) => i % 5 !== 0 && i % 17 !== 0);
      const s = await b.logs.summarize(id, 'stdout', { headLines: 2, tailLines: 3, maxBytes: 1 << 20 });
      const text = (i: number) => `out-${String(i).padStart(3, '0')}`;
      expect(s.text).toBe(
        [
          ...outs.slice(0, 2).map(text),
          omittedMarker(outs.length - 5, (outs.length - 5) * 8),
          ...outs.slice(-3).map(text),
        ].join('\n'),
      );
      expect(s).toMatchObject({ truncated: true, total_lines: outs.length, total_bytes: outs.length * 8 });
      expect(await b.logs.summarize(newJobId(), 'stdout', { headLines: 1, tailLines: 1, maxBytes: 100 })).toEqual({
        text: '',
        truncated: false,
        total_lines: 0,
        total_bytes: 0,
      });
    });

    it('reopens a log where its last flush left it: lines never flushed are gone, seq and offsets resume', async () => {
      const [a, b] = await pair();
      const id = newJobId();
      const w = await a.logs.open(id, { maxBytes: 1 << 20 });
      await write(w, 10, { stream: (i) => (i % 3 === 0 ? 'stderr' : 'stdout') });
      const durable = { ...w.durableOffsets };
      expect(durable).toEqual(w.offsets);
      // Added, never flushed: a crash loses them; the executor fetches them again from the remote offsets.
      w.add('stdout', 'lost 1', w.offsets.out + 7);
      w.add('stderr', 'lost 2', w.offsets.err + 7);
      expect(w.durableOffsets).toEqual(durable);
      const again = await b.logs.open(id, { maxBytes: 1 << 20 });
      expect(again.seq).toBe(10);
      expect(again.offsets).toEqual(durable);
      expect(again.durableOffsets).toEqual(durable);
      expect(again.offsets).toMatchObject({ outN: 7, errN: 3 });
      again.add('stdout', 'after', again.offsets.out + 6);
      await again.close();
      const r = await a.logs.read(id, { cursor: 0, limit: 100 });
      expect(r.lines.map((l) => l.seq)).toEqual(range(1, 11));
      expect(r.lines.at(-1)).toMatchObject({ seq: 11, text: 'after', stream: 'stdout' });
    });

    it('takes a run of whole lines in one call (the hot path) and reads each line back', async () => {
      const [a, b] = await pair();
      const id = newJobId();
      const w = await a.logs.open(id, { maxBytes: 1 << 20 });
      const buf = Buffer.from('xx\none\ntwo\nthree\nyy');
      w.addLines('stdout', buf, 3, 17, 3, 14, 77);
      w.addRange('stderr', buf, 0, 2, 3, 78);
      await w.close();
      expect((await b.logs.read(id, { cursor: 0, limit: 10 })).lines).toEqual([
        { seq: 1, ts: 77, stream: 'stdout', text: 'one' },
        { seq: 2, ts: 77, stream: 'stdout', text: 'two' },
        { seq: 3, ts: 77, stream: 'stdout', text: 'three' },
        { seq: 4, ts: 78, stream: 'stderr', text: 'xx' },
      ]);
    });

    it('removes a log and keeps a note that reads report', async () => {
      const [a, b] = await pair();
      const id = newJobId();
      const w = await a.logs.open(id, { maxBytes: 1 << 20 });
      await write(w, 20);
      await w.close();
      const bytes = await a.logs.size(id);
      const removal = {
        removed_at: '2027-01-02T03:04:05.000Z',
        reason: 'retention',
        total_lines: 20,
        log_bytes: bytes,
      };
      await b.logs.remove(id, removal);
      expect(await a.logs.size(id)).toBe(0);
      expect(await a.logs.read(id, { limit: 10 })).toEqual({
        lines: [],
        next_cursor: 20,
        has_more: false,
        total_lines: 20,
        log_bytes: 0,
        removed: removal,
      });
      expect((await a.logs.read(id, { cursor: 3, limit: 10 })).next_cursor).toBe(20);
    });
  });
}
