import { describe, expect, it } from 'vitest';
import { jsonRpcGate, type JsonRpcErrorAnswer } from '../../../src/mcp/transports/jsonrpc-gate.js';

/** Feeds chunks through a gate; answers what passed (as text) and what was answered. */
async function run(chunks: (string | Buffer)[], maxLineBytes?: number) {
  const answers: JsonRpcErrorAnswer[] = [];
  const gate = jsonRpcGate((a) => answers.push(a), maxLineBytes);
  const out: Buffer[] = [];
  gate.on('data', (d: Buffer) => out.push(d));
  const ended = new Promise((r) => gate.on('end', r));
  for (const c of chunks) gate.write(typeof c === 'string' ? Buffer.from(c) : c);
  gate.end();
  await ended;
  return { passed: Buffer.concat(out).toString('utf8'), answers };
}

const PING = '{"jsonrpc":"2.0","id":1,"method":"ping"}';

describe('jsonRpcGate', () => {
  it('passes valid messages through unchanged, however the chunks fall', async () => {
    const note = '{"jsonrpc":"2.0","method":"notifications/initialized"}';
    const text = `${PING}\n${note}\r\n`;
    const whole = await run([text]);
    expect(whole.passed).toBe(text);
    expect(whole.answers).toEqual([]);
    const bytes = Buffer.from(text);
    const split = await run(Array.from(bytes, (b) => Buffer.from([b])));
    expect(split.passed).toBe(text);
  });

  it('keeps a multi-byte character split across chunks intact', async () => {
    const msg = '{"jsonrpc":"2.0","id":"ü€😀","method":"ping"}\n';
    const b = Buffer.from(msg);
    const r = await run([b.subarray(0, 30), b.subarray(30, 33), b.subarray(33)]);
    expect(r.passed).toBe(msg);
  });

  it('ignores blank lines and answers what is not JSON with -32700', async () => {
    const r = await run(['\n  \n', 'nope\n', '{"jsonrpc":\n', PING, '\n']);
    expect(r.passed).toBe(`${PING}\n`);
    expect(r.answers.map((a) => [a.id, a.error.code])).toEqual([
      [null, -32700],
      [null, -32700],
    ]);
  });

  it('answers JSON that is not JSON-RPC with -32600, keeping a usable id', async () => {
    const r = await run([
      '{"foo":1}\n',
      '[{"jsonrpc":"2.0","id":1,"method":"ping"}]\n',
      '{"jsonrpc":"1.0","id":7,"method":"ping"}\n',
      '{"jsonrpc":"2.0","id":"abc","method":"tools/call","params":"x"}\n',
      '{"jsonrpc":"2.0","id":1.5,"method":"ping"}\n',
      '{"jsonrpc":"2.0","id":null,"method":"ping"}\n',
      '42\n',
    ]);
    expect(r.passed).toBe('');
    expect(r.answers.map((a) => [a.id, a.error.code])).toEqual([
      [null, -32600],
      [null, -32600],
      [7, -32600],
      ['abc', -32600],
      [null, -32600],
      [null, -32600],
      [null, -32600],
    ]);
    expect(r.answers[1]?.error.message).toMatch(/batches are not supported/);
  });

  it('drops a line over the cap without buffering it, answers it, and goes on', async () => {
    const big = `{"jsonrpc":"2.0","id":2,"method":"ping","params":{"pad":"${'x'.repeat(5000)}"}}`;
    const r = await run([big.slice(0, 1500), big.slice(1500, 3000), big.slice(3000), `\n${PING}\n`], 1024);
    expect(r.passed).toBe(`${PING}\n`);
    expect(r.answers).toEqual([
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: expect.stringMatching(/larger than 1024 bytes/) } },
    ]);
  });
});
