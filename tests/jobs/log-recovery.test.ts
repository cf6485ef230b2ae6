import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobLogWriter } from '../../src/jobs/job-log.js';
import { encodeLine, type DecodedLine } from '../../src/jobs/log-format.js';
import { capMarker, readLog } from '../../src/jobs/log-reader.js';
import { ENTRY_BYTES } from '../../src/jobs/log-records.js';
import { listSegments, scanForward } from '../../src/jobs/log-segments.js';
import { summarizeStream } from '../../src/jobs/summary.js';

import { allLines, expectAsReference, ingest, output, reference, rng } from './log-records-fixture.js';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-records-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('log format v2: segments and recovery', () => {
  const data = { stdout: output(1, 400), stderr: output(2, 150) };
  const want = reference(data.stdout, data.stderr);

  it('rolls segments on record boundaries and marks the gap', () => {
    const dir = path.join(tmp, 'j');
    const w = new JobLogWriter(dir, { maxBytes: 4096 });
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
    const w = new JobLogWriter(full, { maxBytes: 1 << 30 });
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
      const again = new JobLogWriter(dir, { maxBytes: 1 << 30 });
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
    const w = new JobLogWriter(dir, { maxBytes: 1 << 20 });
    w.add('stdout', 'one', 4, 1);
    w.add('stdout', 'two', 8, 1);
    w.close();
    fs.writeFileSync(path.join(dir, 'tail-0.idx'), '');
    fs.writeFileSync(path.join(dir, 'tail-0.log'), 'three\nfo');
    const r = new JobLogWriter(dir, { maxBytes: 1 << 20 });
    expect(fs.statSync(path.join(dir, 'tail-0.log')).size).toBe(0);
    expect(r.seq).toBe(2);
    expect(r.offsets).toEqual({ out: 8, err: 0, outN: 2, errN: 0 });
  });

  it('reads a v1 log written by an earlier version and continues it in a v2 segment', () => {
    const dir = path.join(tmp, 'j');
    fs.mkdirSync(dir);
    let v1 = '';
    const off = { out: 0, err: 0, outN: 0, errN: 0 };
    for (let i = 1; i <= 30; i++) {
      const text = `old ${i}\twith a tab`;
      off.out += Buffer.byteLength(text) + 1;
      off.outN++;
      v1 += encodeLine({ seq: i, ts: 500 + i, stream: 'stdout', text }, off);
    }
    // Torn by a crash of the earlier version.
    fs.writeFileSync(path.join(dir, 'head.log'), `${v1}31\t531\to\t9`);
    expect(readLog(dir, { limit: 2 }).lines.map((l) => l.text)).toEqual(['old 29\twith a tab', 'old 30\twith a tab']);
    const w = new JobLogWriter(dir, { maxBytes: 1 << 20 });
    expect(w.seq).toBe(30);
    expect(w.offsets).toEqual(off);
    const more = Buffer.from('new 31\nnew 32\n');
    w.addLines('stdout', more, 0, more.length, 2, off.out + more.length, 600);
    w.close();
    expect(fs.readFileSync(path.join(dir, 'head.log'), 'utf8')).toBe(v1);
    expect(listSegments(dir).map((s) => path.basename(s))).toEqual(['head.log', 'tail-0.log']);
    const all = readLog(dir, { cursor: 0, limit: 100 });
    // Contiguous: no cap marker between the old and the new segment.
    expect(all.lines.map((l) => l.seq)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect(all.lines.at(-1)).toEqual({ seq: 32, ts: 600, stream: 'stdout', text: 'new 32' });
    expect(readLog(dir, { cursor: 15, limit: 2 }).lines.map((l) => l.text)).toEqual([
      'old 16\twith a tab',
      'old 17\twith a tab',
    ]);
    expect(summarizeStream(dir, 'stdout', { headLines: 1, tailLines: 1, maxBytes: 1 << 20 })).toMatchObject({
      total_lines: 32,
      total_bytes: off.out + more.length,
    });
  });
});
