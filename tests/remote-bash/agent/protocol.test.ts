import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AgentFrameParser, encodeField, type AgentFrame } from '../../../src/remote-bash/agent/protocol.js';

// The wire format alone: fields as the agent's shells decode them, frames however the channel cuts them.
const SHELLS: [string, string[]][] = [
  ['dash', ['dash']],
  ['bash', ['bash']],
  ['busybox sh', ['/bin/busybox', 'sh']],
];

/** What `printf '%b'` makes of an encoded field in a real shell, as the agent's reader does. */
function decode(shell: string[], field: string): Buffer {
  const [cmd = 'sh', ...args] = shell;
  return execFileSync(cmd, [...args, '-c', `[ "$1" = - ] || printf '%b' "$1"`, 'sh', field]);
}

describe('encodeField', () => {
  const values = [
    '',
    '-',
    '--',
    'plain',
    'it\'s "quoted" $HOME `x` ; | & > <',
    'back\\slash \\n \\0101 \\c stop',
    'tab\tnew\nline\r\n',
    'ünïcödé ✓ 🙂',
    ' leading and trailing ',
    '%s %b %%',
    String.fromCharCode(...Array.from({ length: 127 }, (_, i) => i + 1)),
  ];

  it('gives one word: no space, tab, newline or lone "-" in any field but the empty one', () => {
    for (const v of values) {
      const f = encodeField(v);
      expect(f).not.toMatch(/[\s]/);
      expect(f === '-').toBe(v === '');
    }
  });

  it.each(SHELLS)('decodes to exactly the same bytes in %s', (_, shell) => {
    for (const v of values) expect(decode(shell, encodeField(v))).toEqual(Buffer.from(v, 'utf8'));
  });
});

function parseAll(chunks: Buffer[]): AgentFrame[] {
  const frames: AgentFrame[] = [];
  const p = new AgentFrameParser((f) => frames.push(f.type === 'data' ? { ...f, chunk: Buffer.from(f.chunk) } : f));
  for (const c of chunks) p.push(c);
  return frames;
}

describe('AgentFrameParser', () => {
  const stream = Buffer.concat([
    Buffer.from('R 1 launched 4242\nO job_a 0 5\nab\ncdE job_b 7 3\n'),
    Buffer.from([0, 10, 0xff]),
    Buffer.from('P job_a 99\nO job_a 5 2\nX\nX job_a 3\nL job_b runner-gone\nR 2 err bad-job-id\n'),
  ]);

  it('decodes every kind of frame, whatever the chunking, with the offset of each piece of data', () => {
    const whole = parseAll([stream]);
    expect(whole).toEqual([
      { type: 'reply', tag: 1, word: 'launched', text: '4242' },
      { type: 'data', job: 'job_a', stream: 'stdout', offset: 0, chunk: Buffer.from('ab\ncd') },
      { type: 'data', job: 'job_b', stream: 'stderr', offset: 7, chunk: Buffer.from([0, 10, 0xff]) },
      { type: 'pid', job: 'job_a', pid: 99 },
      { type: 'data', job: 'job_a', stream: 'stdout', offset: 5, chunk: Buffer.from('X\n') },
      { type: 'exit', job: 'job_a', status: 3 },
      { type: 'lost', job: 'job_b', reason: 'runner-gone' },
      { type: 'reply', tag: 2, word: 'err', text: 'bad-job-id' },
    ]);
    for (const size of [1, 2, 3, 7, 13]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size));
      const frames = parseAll(chunks);
      // Data arrives in pieces; glued back per frame start, it is the same.
      const glued: AgentFrame[] = [];
      for (const f of frames) {
        const last = glued.at(-1);
        if (
          f.type === 'data' &&
          last?.type === 'data' &&
          last.job === f.job &&
          last.offset + last.chunk.length === f.offset
        )
          glued[glued.length - 1] = { ...last, chunk: Buffer.concat([last.chunk, f.chunk]) };
        else glued.push(f);
      }
      expect(glued).toEqual(whole);
    }
  });

  it('refuses what is not a frame: an unknown header, a bad number, a header without end', () => {
    expect(() => parseAll([Buffer.from('hello there\n')])).toThrow(/unknown frame/);
    expect(() => parseAll([Buffer.from('O job_a x 3\n')])).toThrow(/bad number/);
    expect(() => parseAll([Buffer.alloc(600, 0x41)])).toThrow(/longer than 512/);
  });
});
