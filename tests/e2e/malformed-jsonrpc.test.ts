// JSON-RPC framing over stdio: lines that are not JSON, not JSON-RPC 2.0, too big or too deep are answered as the
// specification says, and the session goes on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { startRawStdio, type RawStdio } from '../helpers/raw-stdio.js';
import { isErrorResponse } from './hostile-answers.js';
import { MB } from './hostile-cases.js';

describe('malformed JSON-RPC over one stdio session', () => {
  let home: { dir: string; cleanup(): void };
  let raw: RawStdio;

  beforeAll(async () => {
    home = tempHome();
    raw = await startRawStdio({ DECKHAND_HOME: home.dir });
  });
  afterAll(async () => {
    if (raw && raw.proc.exitCode === null) await raw.close();
    home?.cleanup();
  });

  it('answers malformed JSON-RPC as JSON-RPC 2.0 says, and keeps serving', async () => {
    const id = () => raw.nextId();
    const nullIdErrors = () => raw.stdoutLines.filter((l) => l.includes('"id":null')).length;
    const lines: { line: string; code: number; id: number | null }[] = [];
    const push = (line: string, code: number, withId: number | null) => lines.push({ line, code, id: withId });
    push('this is not json', -32700, null);
    push(
      `{"jsonrpc":"2.0","id":${id()},"method":"tools/call","params":{"name":"list-servers","arguments":{"x":NaN}}}`,
      -32700,
      null,
    );
    push(`{${'"a":'.repeat(1)}`, -32700, null);
    push('{"foo": 1}', -32600, null);
    push('[]', -32600, null);
    const batchId = id();
    push(`[{"jsonrpc":"2.0","id":${batchId},"method":"ping"}]`, -32600, null);
    push('{"jsonrpc":"2.0","id":null,"method":"ping"}', -32600, null);
    push('{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}', -32600, null);
    let n = id();
    push(`{"jsonrpc":"1.0","id":${n},"method":"ping"}`, -32600, n);
    n = id();
    push(`{"jsonrpc":"2.0","id":${n},"method":"tools/call","params":"str"}`, -32600, n);
    n = id();
    push(`{"jsonrpc":"2.0","id":${n},"method":42}`, -32600, n);
    push(`"${MB}"`, -32600, null);
    // Past the SDK's 10 MB buffer the whole session used to end; now the line is dropped and answered.
    push(
      `{"jsonrpc":"2.0","id":${id()},"method":"ping","params":{"pad":"${'p'.repeat(9 * 1024 * 1024)}"}}`,
      -32600,
      null,
    );

    for (const { line, code, id: rid } of lines) {
      const before = nullIdErrors();
      raw.sendLine(line);
      const answer =
        rid === null
          ? await raw
              .waitForMessage(() => nullIdErrors() > before, 10_000)
              .then(() => JSON.parse(raw.stdoutLines.filter((l) => l.includes('"id":null')).at(-1) as string))
          : await raw.waitForMessage((m) => m.id === rid, 10_000);
      expect(answer.error?.code, line.slice(0, 80)).toBe(code);
    }

    // Requests that are valid JSON-RPC but ask for nonsense get JSON-RPC errors naming what is wrong.
    expect((await raw.request('tools/explode', {})).error?.code).toBe(-32601);
    const noName = await raw.request('tools/call', { arguments: {} });
    expect(noName.error?.message).toMatch(/name/);
    // Absurd nesting (built as text: the test's own JSON.stringify would overflow) is refused, not a crash.
    for (const depth of [5_000, 200_000]) {
      const deepId = id();
      raw.sendLine(
        `{"jsonrpc":"2.0","id":${deepId},"method":"tools/call","params":{"name":"list-servers","arguments":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}}`,
      );
      const answer = await raw.waitForMessage((m) => m.id === deepId, 10_000);
      expect(isErrorResponse(answer), `nesting depth ${depth}`).toBe(true);
    }

    expect(raw.proc.exitCode).toBeNull();
    expect((await raw.request('ping')).result).toEqual({});
    expect(raw.stdoutLines.every((l) => JSON.parse(l).jsonrpc === '2.0')).toBe(true);
    expect(await raw.close()).toBe(0);
  });
});
