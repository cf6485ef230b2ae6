import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { OutputCapture, type CaptureLimits } from '../../src/util/output-capture.js';

const MARKER = /^\[… ([\d,]+) lines \(([\d.]+ [KMGT]?B)\) omitted …\]$/;
const DEFAULTS: CaptureLimits = { headLines: 100, tailLines: 200, maxBytes: 64 * 1024 };

function capture(input: string | Buffer | Buffer[], limits: CaptureLimits = DEFAULTS) {
  const c = new OutputCapture(limits);
  for (const chunk of Array.isArray(input) ? input : [Buffer.from(input)]) c.write(chunk);
  return c.finish();
}

function seq(from: number, to: number): string {
  let s = '';
  for (let i = from; i <= to; i++) s += `${i}\n`;
  return s;
}

describe('OutputCapture', () => {
  it('keeps short output whole, without a marker', () => {
    const r = capture('a\nb\nc\n');
    expect(r).toMatchObject({ text: 'a\nb\nc', truncated: false, total_lines: 3, total_bytes: 6 });
    expect(capture('no newline at end').text).toBe('no newline at end');
    expect(capture('').text).toBe('');
  });

  it('keeps head and tail lines with a marker that counts what it left out', () => {
    const input = seq(1, 10_000);
    const r = capture(input, { headLines: 3, tailLines: 2, maxBytes: 1024 * 1024 });
    const lines = r.text.split('\n');
    expect(lines.slice(0, 3)).toEqual(['1', '2', '3']);
    expect(lines.slice(-2)).toEqual(['9999', '10000']);
    const m = MARKER.exec(lines[3] ?? '');
    expect(m, lines[3]).not.toBeNull();
    expect(m?.[1]).toBe('9,995');
    expect(lines).toHaveLength(6);
    expect(r).toMatchObject({ truncated: true, total_lines: 10_000, total_bytes: Buffer.byteLength(input) });
  });

  it('stays within the byte cap however long the lines are', () => {
    const line = 'x'.repeat(999);
    const input = `${line}\n`.repeat(5000);
    const limits = { headLines: 100, tailLines: 200, maxBytes: 64 * 1024 };
    const r = capture(input, limits);
    expect(r.truncated).toBe(true);
    expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(limits.maxBytes + 200);
    expect(r.text.split('\n').some((l) => MARKER.test(l))).toBe(true);
    expect(r.text.endsWith(line)).toBe(true);
  });

  it('cuts an endless line (no newline, 20 MB in small chunks) and stays bounded', () => {
    const chunk = Buffer.alloc(64 * 1024, 'y');
    const c = new OutputCapture(DEFAULTS);
    for (let i = 0; i < 320; i++) c.write(chunk);
    c.write(Buffer.from('\nlast line\n'));
    const r = c.finish();
    expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(DEFAULTS.maxBytes + 200);
    expect(r.text).toMatch(/^y+ …\[line cut at [\d,]+ characters\]/);
    expect(r.text.endsWith('\nlast line')).toBe(true);
    expect(r.total_lines).toBe(2);
    expect(r.total_bytes).toBe(320 * 64 * 1024 + 11);
  });

  it('counts what it left out in stream bytes, also for lines it cut', () => {
    const r = capture(`${'q'.repeat(100_000)}\n`.repeat(300));
    const lines = r.text.split('\n');
    const marker = lines.map((l) => MARKER.exec(l)).find(Boolean);
    expect(lines.filter((l) => /^q+ …\[line cut at \d+ characters\]$/.test(l))).toHaveLength(lines.length - 1);
    // 300 lines of 100,001 bytes; the marker counts the omitted ones at their real size, not their cut size.
    const omitted = 300 - (lines.length - 1);
    expect(marker?.[1]).toBe(String(omitted));
    expect(marker?.[2]).toBe(`${((omitted * 100_001) / 1024 / 1024).toFixed(1)} MB`);
    expect(r.total_lines).toBe(300);
  });

  it('turns CRLF line ends into plain lines, even when split across chunks', () => {
    expect(capture('one\r\ntwo\r\n').text).toBe('one\ntwo');
    expect(capture([Buffer.from('one\r'), Buffer.from('\ntwo\r'), Buffer.from('\n')]).text).toBe('one\ntwo');
    // A lone CR (progress bars) is kept as it is.
    expect(capture('50%\r100%\n').text).toBe('50%\r100%');
  });

  it('replaces invalid UTF-8 with U+FFFD and keeps valid characters split across chunks', () => {
    expect(capture(Buffer.from([0x6f, 0x6b, 0xff, 0xfe, 0x0a])).text).toBe('ok\uFFFD\uFFFD');
    const euro = Buffer.from('€\n'); // e2 82 ac 0a
    expect(capture([euro.subarray(0, 1), euro.subarray(1, 2), euro.subarray(2)]).text).toBe('€');
    expect(capture(Buffer.from([0xe2, 0x82])).text).toBe('\uFFFD');
    const random = Buffer.alloc(200_000);
    for (let i = 0; i < random.length; i++) random[i] = (i * 7919 + 13) % 256;
    const r = capture(random);
    expect(typeof r.text).toBe('string');
    expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(DEFAULTS.maxBytes + 200);
  });

  it('never cuts a character in half when it cuts a long line', () => {
    const r = capture(`a${'😀'.repeat(200_000)}\n`);
    // A lone surrogate would turn into U+FFFD on the wire: every one kept must be part of a pair.
    expect(r.text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    expect(r.text).toMatch(/line cut at/);
  });

  it('honours zero head or tail lines', () => {
    const noHead = capture(seq(1, 10), { headLines: 0, tailLines: 2, maxBytes: 4096 }).text.split('\n');
    expect(noHead[0]).toMatch(MARKER);
    expect(noHead.slice(1)).toEqual(['9', '10']);
    const noTail = capture(seq(1, 10), { headLines: 2, tailLines: 0, maxBytes: 4096 }).text.split('\n');
    expect(noTail.slice(0, 2)).toEqual(['1', '2']);
    expect(noTail[2]).toMatch(MARKER);
    expect(noTail).toHaveLength(3);
  });

  it('uses bounded memory on a million lines', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const line = `${'z'.repeat(90)}\n`;
    const block = Buffer.from(line.repeat(1000)); // 1000 lines, 91 kB
    const c = new OutputCapture(DEFAULTS);
    gc();
    const before = process.memoryUsage().heapUsed;
    let peak = 0;
    for (let i = 0; i < 1000; i++) {
      c.write(block);
      if (i % 100 === 99) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - before);
      }
    }
    const r = c.finish();
    expect(r.total_lines).toBe(1_000_000);
    expect(r.total_bytes).toBe(91_000_000);
    expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(DEFAULTS.maxBytes + 200);
    // 91 MB went through; what is kept is about the 64 KiB cap.
    expect(peak).toBeLessThan(8 * 1024 * 1024);
  });
});
