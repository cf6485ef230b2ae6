import { describe, expect, it } from 'vitest';
import { FrameParser, type FrameEvent } from '../../src/remote-bash/frames.js';
import { chunkings, split } from './chunking.js';

type Merged = { type: 'stdout' | 'stderr'; data: string } | Exclude<FrameEvent, { type: 'data' }>;

/** Parses and merges adjacent data of one stream, since chunking may cut a frame's payload anywhere. */
function parseAll(chunks: Buffer[]): Merged[] {
  const events: Merged[] = [];
  const p = new FrameParser((e) => {
    if (e.type !== 'data') return void events.push(e);
    const last = events.at(-1);
    const data = Buffer.from(e.chunk).toString('latin1');
    if (last && last.type === e.stream) last.data += data;
    else events.push({ type: e.stream, data });
  });
  for (const c of chunks) p.push(c);
  return events;
}

const frame = (kind: 'O' | 'E', payload: string | Buffer) => {
  const b = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload;
  return Buffer.concat([Buffer.from(`${kind} ${b.length}\n`), b]);
};

describe('FrameParser', () => {
  const stream = Buffer.concat([
    Buffer.from('P 4242\n'),
    frame('O', 'hello\n'),
    frame('E', 'warn: X 1\nO 99\n'),
    frame('O', ''),
    frame('O', Buffer.from([0, 255, 10, 13, 10])),
    frame('O', 'more\n'),
    Buffer.from('L no-dir\n'),
    Buffer.from('X 137\n'),
  ]);
  const expected: Merged[] = [
    { type: 'pid', pid: 4242 },
    { type: 'stdout', data: 'hello\n' },
    { type: 'stderr', data: 'warn: X 1\nO 99\n' },
    { type: 'stdout', data: Buffer.from([0, 255, 10, 13, 10]).toString('latin1') + 'more\n' },
    { type: 'lost', reason: 'no-dir' },
    { type: 'exit', status: 137 },
  ];

  it('decodes the same events whatever the chunking, payloads that look like headers included', () => {
    for (const chunks of chunkings(stream)) expect(parseAll(chunks), `${chunks.length} chunks`).toEqual(expected);
  });

  it('emits payload bytes as they arrive, never more than the frame holds', () => {
    const seen: string[] = [];
    const p = new FrameParser((e) => e.type === 'data' && seen.push(`${e.stream}:${e.chunk.toString()}`));
    p.push(Buffer.from('O 10\nabc'));
    expect(seen).toEqual(['stdout:abc']);
    p.push(Buffer.from('defghijE 2\nxy'));
    expect(seen).toEqual(['stdout:abc', 'stdout:defghij', 'stderr:xy']);
  });

  it('trims the exit status and the lost reason', () => {
    expect(parseAll([Buffer.from('X 0 \nL runner-gone \n')])).toEqual([
      { type: 'exit', status: 0 },
      { type: 'lost', reason: 'runner-gone' },
    ]);
  });

  it('throws on malformed frames', () => {
    const bad = ['Z 1\n', 'O -1\n', 'O abc\n', 'E 1.5\n', 'hello world\n', '\n'];
    for (const b of bad) {
      const p = new FrameParser(() => undefined);
      expect(() => p.push(Buffer.from(b)), JSON.stringify(b)).toThrow(/frame/);
    }
    // A header that never ends is refused instead of buffered forever.
    const p = new FrameParser(() => undefined);
    expect(() => p.push(Buffer.from('O '.padEnd(300, '1')))).toThrow(/malformed frame header/);
    // Byte by byte, the same.
    const q = new FrameParser(() => undefined);
    expect(() => {
      for (const c of split(Buffer.from('P 1\nQ 2\n'), () => 1)) q.push(c);
    }).toThrow(/unknown frame "Q 2"/);
  });
});
