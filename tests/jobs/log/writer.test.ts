import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobDir } from '../../../src/jobs/log/file-store.js';
import { FileLogWriter } from '../../../src/jobs/log/writer.js';
import { ENTRY_BYTES } from '../../../src/jobs/log/records.js';
import { listSegments } from '../../../src/jobs/log/segments.js';
import { allLines, decodeFile, useTempDir, writeLines } from './fixture.js';

const temp = useTempDir();

describe('FileLogWriter', () => {
  it('buffers added lines and writes each batch at once, with seq and per-line offsets and counters', () => {
    const dir = path.join(temp.dir(), 'j');
    const w = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    w.add('stdout', 'a1', 3, 11);
    w.add('stderr', 'e1', 3, 12);
    w.add('stdout', 'tab\there', 12, 13);
    // Nothing reaches the disk before the flush; durable offsets move with it.
    expect(listSegments(dir).flatMap(decodeFile)).toEqual([]);
    expect(w.durableOffsets).toEqual({ out: 0, err: 0, outN: 0, errN: 0 });
    w.flush();
    expect(w.durableOffsets).toEqual({ out: 12, err: 3, outN: 2, errN: 1 });
    w.add('system', 'note', undefined, 14);
    w.add('stdout', '', 13, 15);
    expect(w.durableOffsets).toEqual({ out: 12, err: 3, outN: 2, errN: 1 });
    w.flush();
    w.flush(); // an empty flush writes nothing
    w.close();
    expect(allLines(dir)).toEqual([
      { seq: 1, ts: 11, stream: 'stdout', text: 'a1', off: { out: 3, err: 0, outN: 1, errN: 0 } },
      { seq: 2, ts: 12, stream: 'stderr', text: 'e1', off: { out: 3, err: 3, outN: 1, errN: 1 } },
      { seq: 3, ts: 13, stream: 'stdout', text: 'tab\there', off: { out: 12, err: 3, outN: 2, errN: 1 } },
      { seq: 4, ts: 14, stream: 'system', text: 'note', off: { out: 12, err: 3, outN: 2, errN: 1 } },
      { seq: 5, ts: 15, stream: 'stdout', text: '', off: { out: 13, err: 3, outN: 3, errN: 1 } },
    ]);
  });

  it('drops what a refused flush held and goes back to the durable offsets, so the follower resumes from there', () => {
    const dir = path.join(temp.dir(), 'j');
    const w = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    writeLines(w, 3);
    const durable = { ...w.durableOffsets };
    w.close();
    const r = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    // The disk refuses every write from now on (/dev/full answers ENOSPC); the writer opens its files at its first flush.
    const head = path.join(dir, 'head.log');
    const kept = fs.readFileSync(head);
    fs.rmSync(head);
    fs.symlinkSync('/dev/full', head);
    r.add('stdout', 'refused', r.offsets.out + 8);
    expect(() => r.flush()).toThrow(/ENOSPC/);
    expect(r.seq).toBe(3);
    expect(r.offsets).toEqual(durable);
    expect(r.durableOffsets).toEqual(durable);
    expect(fs.statSync(path.join(dir, 'head.idx')).size).toBe(ENTRY_BYTES * 3);
    // The disk is back: the follower resumes from the durable offsets, every line once.
    fs.rmSync(head);
    fs.writeFileSync(head, kept);
    const again = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    again.add('stdout', 'refused', again.offsets.out + 8);
    again.close();
    expect(allLines(dir).map((l) => l.text)).toEqual(['line 1', 'line 2', 'line 3', 'refused']);
  });

  it('drops a torn last line on reopen and restores seq and offsets from the last complete one', () => {
    const dir = path.join(temp.dir(), 'j');
    const w = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    writeLines(w, 10, { stream: (i) => (i % 3 === 0 ? 'stderr' : 'stdout') });
    w.close();
    const head = path.join(dir, 'head.log');
    const index = path.join(dir, 'head.idx');
    const whole = fs.readFileSync(head);
    const wholeIndex = fs.readFileSync(index);
    // A crash in the middle of a flush: the bytes of a record without its entry, and half an entry.
    fs.appendFileSync(head, 'line 11\nline 12\npartial te');
    fs.appendFileSync(index, wholeIndex.subarray(0, ENTRY_BYTES - 5));
    const r = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    expect(fs.readFileSync(head)).toEqual(whole);
    expect(fs.readFileSync(index)).toEqual(wholeIndex);
    expect(r.seq).toBe(10);
    const last = allLines(dir).at(-1)!;
    expect(r.offsets).toEqual(last.off);
    expect(r.offsets).toMatchObject({ outN: 7, errN: 3 });
    r.add('stdout', 'after', r.offsets.out + 6);
    r.close();
    const after = allLines(dir);
    expect(after.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(after.at(-1)).toMatchObject({ text: 'after', off: { out: last.off.out + 6, outN: 8, errN: 3 } });
  });

  it('recovers from a segment holding only a torn line by truncating it and reading the previous one', () => {
    const dir = path.join(temp.dir(), 'j');
    const w = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    writeLines(w, 4);
    w.close();
    fs.writeFileSync(path.join(dir, 'tail-0.log'), '5\t1005\to\t40');
    const r = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    expect(fs.statSync(path.join(dir, 'tail-0.log')).size).toBe(0);
    expect(r.seq).toBe(4);
    expect(r.offsets).toEqual(allLines(dir).at(-1)!.off);
  });

  it('reopens a log with no torn line unchanged', () => {
    const dir = path.join(temp.dir(), 'j');
    const w = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    writeLines(w, 3);
    w.close();
    const before = fs.readFileSync(path.join(dir, 'head.log'));
    const r = new FileLogWriter(dir, { maxBytes: 1 << 20 });
    expect(r.seq).toBe(3);
    expect(fs.readFileSync(path.join(dir, 'head.log'))).toEqual(before);
    expect(new FileLogWriter(path.join(temp.dir(), 'empty'), { maxBytes: 1 << 20 }).seq).toBe(0);
  });

  it('keeps the head and the two newest tail segments under a small cap', () => {
    const dir = path.join(temp.dir(), 'j');
    const maxBytes = 4096;
    const w = new FileLogWriter(dir, { maxBytes });
    writeLines(w, 400, { text: (i) => `line number ${String(i).padStart(4, '0')} ${'x'.repeat(20)}` });
    w.close();
    const names = listSegments(dir).map((f) => path.basename(f));
    expect(names[0]).toBe('head.log');
    expect(names).toHaveLength(3);
    const [n1, n2] = names.slice(1).map((n) => Number(/^tail-(\d+)\.log$/.exec(n)![1]));
    expect(n2).toBe(n1! + 1);
    expect(n1).toBeGreaterThan(2); // older tails existed and were removed
    expect(fs.statSync(path.join(dir, 'head.log')).size).toBeLessThanOrEqual(maxBytes / 2);
    for (const n of names.slice(1)) expect(fs.statSync(path.join(dir, n)).size).toBeLessThanOrEqual(maxBytes / 4);
    const head = decodeFile(path.join(dir, 'head.log'));
    const tails = names.slice(1).flatMap((n) => decodeFile(path.join(dir, n)));
    // The head starts at the beginning; the tail is contiguous and ends with the last line.
    expect(head[0]!.seq).toBe(1);
    expect(head.map((l) => l.seq)).toEqual(head.map((_, i) => i + 1));
    expect(tails.map((l) => l.seq)).toEqual(tails.map((_, i) => tails[0]!.seq + i));
    expect(tails.at(-1)!.seq).toBe(400);
    expect(tails.at(-1)!.off.outN).toBe(400);
  });

  it('jobDir refuses anything but a job id', () => {
    expect(jobDir('/h', 'job_01JD3Q8X5K2M7N4P6R8S0T2V4W')).toBe('/h/jobs/job_01JD3Q8X5K2M7N4P6R8S0T2V4W');
    for (const bad of ['../x', 'job_01JD3Q8X5K2M7N4P6R8S0T2V4W/..', '']) expect(() => jobDir('/h', bad)).toThrow();
  });
});
