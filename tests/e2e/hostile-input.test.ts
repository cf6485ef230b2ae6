import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { startRawStdio, type JsonRpcResponse, type RawStdio } from '../helpers/raw-stdio.js';
import { freePort, startSshd, type SshdHandle } from '../helpers/sshd.js';

/** What a hostile call must get back: a validation error naming the field, or any error, or (for values that are
 *  legal but nasty) any answer at all, as long as nothing they smuggle in runs. */
type Expect = { kind: 'invalid'; field: string } | { kind: 'error' } | { kind: 'any' };
interface Case {
  label: string;
  tool: string;
  args: unknown;
  expect: Expect;
}

const MB = 'x'.repeat(1024 * 1024);
const WRONG_TYPES: [string, unknown][] = [
  ['null', null],
  ['number', 42],
  ['negative', -1],
  ['float', 1.5],
  ['huge number', 1e308],
  ['boolean', true],
  ['empty array', []],
  ['array', ['a', 'b']],
  ['object', { a: 1 }],
  ['empty object', {}],
];

function textOfResponse(r: JsonRpcResponse): string {
  if (r.error) return r.error.message;
  return (r.result?.content ?? []).map((c) => c.text ?? '').join('\n');
}

function isErrorResponse(r: JsonRpcResponse): boolean {
  return r.error !== undefined || r.result?.isError === true;
}

const KNOWN_TOOLS = new Set(['add-server', 'list-servers', 'remove-server', 'remote-bash']);

/**
 * An argument that fails validation answers deckhand's invalid_argument: a tool result, never the SDK's wording,
 * with a line for the field saying what was wrong and what was given, and a hint. Arguments that are not an object
 * at all fail the SDK's parse of the request before any handler: a protocol error naming "arguments" (the SDK
 * answers -32603 there).
 */
function invalidAnswerProblems(c: Case, field: string, r: JsonRpcResponse): string[] {
  const text = textOfResponse(r);
  const cut = text.slice(0, 300);
  if (r.error !== undefined) {
    return field === 'arguments' && text.includes('arguments')
      ? []
      : [`${c.label}: expected an invalid_argument result, got protocol error ${r.error.code}: ${cut}`];
  }
  const problems: string[] = [];
  if (!/^Error \(invalid_argument\): \S+ refused (an argument|\d+ arguments):\n/.test(text))
    problems.push(`${c.label}: expected "Error (invalid_argument): <tool> refused ...", got ${cut}`);
  if (/MCP error|-32602|Input validation error/.test(text))
    problems.push(`${c.label}: the SDK's wording leaked: ${cut}`);
  if (!new RegExp(`\\n- ${field}[^\\n]*: [^\\n]+; given [^\\n]+`).test(text))
    problems.push(`${c.label}: no line names "${field}" with what was given: ${cut}`);
  if (!/\nFix (it|them) and call \S+ again; tools\/list gives each parameter's type and limits\.$/.test(text))
    problems.push(`${c.label}: no hint: ${cut}`);
  if (text.length > 4000) problems.push(`${c.label}: the answer is ${text.length} characters long (not cut)`);
  return problems;
}

describe('hostile and malformed input over one stdio session', () => {
  let sshd: SshdHandle;
  let home: { dir: string; cleanup(): void };
  let raw: RawStdio;
  let marker: string;
  let closedPort: number;

  beforeAll(async () => {
    sshd = await startSshd();
    home = tempHome();
    marker = path.join(home.dir, 'pwned');
    closedPort = await freePort();
    raw = await startRawStdio({ DECKHAND_HOME: home.dir });
    const added = await raw.request('tools/call', {
      name: 'add-server',
      arguments: { name: 'box', host: sshd.host, port: sshd.port, user: sshd.user, private_key_path: sshd.clientKey },
    });
    expect(isErrorResponse(added), textOfResponse(added)).toBe(false);
  });
  afterAll(async () => {
    if (raw && raw.proc.exitCode === null) await raw.close();
    await sshd?.stop();
    home?.cleanup();
  });

  function cases(): Case[] {
    const injections = [
      '../../etc/passwd',
      '/etc/shadow',
      `a;touch ${marker}`,
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `' ; touch ${marker}; '`,
      `-oProxyCommand=touch ${marker}`,
      'ünïcödé',
      '💥\u202e\u200b',
      ' ',
    ];
    const out: Case[] = [];

    // add-server: every field gets wrong types, hostile strings and 1 MB. The base points at a closed port,
    // so a variant that passes validation still cannot register anything.
    const addBase = {
      name: 'hostile',
      host: '127.0.0.1',
      port: closedPort,
      user: 'root',
      private_key_path: sshd.clientKey,
    };
    const addFields: Record<string, { strings: Expect; numbers?: boolean }> = {
      name: { strings: { kind: 'invalid', field: 'name' } },
      host: { strings: { kind: 'invalid', field: 'host' } },
      port: { strings: { kind: 'invalid', field: 'port' }, numbers: true },
      user: { strings: { kind: 'invalid', field: 'user' } },
      private_key_path: { strings: { kind: 'error' } },
      passphrase_env: { strings: { kind: 'invalid', field: 'passphrase_env' } },
      password_env: { strings: { kind: 'invalid', field: 'password_env' } },
      use_agent: { strings: { kind: 'invalid', field: 'use_agent' } },
      host_key_fingerprint: { strings: { kind: 'error' } },
      labels: { strings: { kind: 'invalid', field: 'labels' } },
    };
    for (const [field, spec] of Object.entries(addFields)) {
      for (const [label, value] of WRONG_TYPES) {
        if (field === 'use_agent' && typeof value === 'boolean') continue;
        if (field === 'port' && value === 42) continue; // a valid port number: covered by the closed-port base
        // No labels is fine, as an object or as the ["KEY=value"] list tools/list advertises.
        if (field === 'labels' && (label === 'empty object' || label === 'empty array')) continue;
        const expect: Expect =
          field === 'labels' && label === 'object' ? { kind: 'invalid', field: 'labels' } : { kind: 'invalid', field };
        out.push({
          label: `add-server ${field}=${label}`,
          tool: 'add-server',
          args: { ...addBase, [field]: value },
          expect,
        });
      }
      for (const s of [...injections, '', MB]) {
        const e: Expect =
          field === 'port' || field === 'use_agent' || field === 'labels' ? { kind: 'invalid', field } : spec.strings;
        out.push({
          label: `add-server ${field}=${JSON.stringify(s.slice(0, 30))}`,
          tool: 'add-server',
          args: { ...addBase, [field]: s },
          expect: e,
        });
      }
    }
    for (const port of [0, -22, 65536, 1e9, 22.5]) {
      out.push({
        label: `add-server port=${port}`,
        tool: 'add-server',
        args: { ...addBase, port },
        expect: { kind: 'invalid', field: 'port' },
      });
    }
    for (const labels of [
      { 'Bad Key': 'v' },
      { k: MB },
      Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'])),
      { k: 1 },
    ]) {
      out.push({
        label: 'add-server labels',
        tool: 'add-server',
        args: { ...addBase, labels },
        expect: { kind: 'invalid', field: 'labels' },
      });
    }
    for (const missing of ['name', 'host']) {
      const { [missing]: _dropped, ...rest } = addBase as Record<string, unknown>;
      out.push({
        label: `add-server without ${missing}`,
        tool: 'add-server',
        args: rest,
        expect: { kind: 'invalid', field: missing },
      });
    }
    out.push({
      label: 'add-server extra field',
      tool: 'add-server',
      args: { ...addBase, password: 'hunter2' },
      expect: { kind: 'invalid', field: 'password' },
    });
    out.push({
      label: 'add-server __proto__',
      tool: 'add-server',
      args: JSON.parse(`{"name":"x","host":"h","__proto__":{"admin":true}}`),
      // zod drops a "__proto__" key rather than naming it; what matters is that nothing is polluted or accepted.
      expect: { kind: 'error' },
    });

    // remove-server and list-servers.
    for (const [label, value] of [
      ...WRONG_TYPES,
      ...injections.map((s) => [s, s] as [string, unknown]),
      ['1 MB', MB] as [string, unknown],
    ]) {
      out.push({
        label: `remove-server name=${String(label).slice(0, 30)}`,
        tool: 'remove-server',
        args: { name: value },
        expect: { kind: 'invalid', field: 'name' },
      });
    }
    out.push({
      label: 'remove-server unknown',
      tool: 'remove-server',
      args: { name: 'not-there' },
      expect: { kind: 'error' },
    });
    out.push({
      label: 'remove-server nothing',
      tool: 'remove-server',
      args: {},
      expect: { kind: 'invalid', field: 'name' },
    });
    out.push({
      label: 'list-servers extra',
      tool: 'list-servers',
      args: { filter: '*' },
      expect: { kind: 'invalid', field: 'filter' },
    });

    // remote-bash: never a hostile *command* that validates (it would run); hostile cwd and env values may run,
    // and must stay inert.
    const bashBase = { server: 'box', command: 'true' };
    for (const [label, value] of WRONG_TYPES) {
      out.push({
        label: `remote-bash server=${label}`,
        tool: 'remote-bash',
        args: { ...bashBase, server: value },
        expect: { kind: 'invalid', field: 'server' },
      });
      out.push({
        label: `remote-bash command=${label}`,
        tool: 'remote-bash',
        args: { ...bashBase, command: value },
        expect: { kind: 'invalid', field: 'command' },
      });
      if (
        label !== 'number' &&
        label !== 'huge number' &&
        label !== 'empty object' &&
        label !== 'empty array' &&
        label !== 'object'
      )
        out.push({
          label: `remote-bash env=${label}`,
          tool: 'remote-bash',
          args: { ...bashBase, env: value },
          expect: { kind: 'invalid', field: 'env' },
        });
      if (label !== 'number')
        out.push({
          label: `remote-bash timeout_s=${label}`,
          tool: 'remote-bash',
          args: { ...bashBase, timeout_s: value },
          expect: { kind: 'invalid', field: 'timeout_s' },
        });
      if (
        label !== 'object' &&
        label !== 'empty object' &&
        label !== 'array' &&
        label !== 'empty array' &&
        label !== 'null'
      )
        out.push({
          label: `remote-bash cwd=${label}`,
          tool: 'remote-bash',
          args: { ...bashBase, cwd: value },
          expect: { kind: 'invalid', field: 'cwd' },
        });
    }
    for (const s of injections) {
      out.push({
        label: `remote-bash server=${s.slice(0, 30)}`,
        tool: 'remote-bash',
        args: { ...bashBase, server: s },
        expect: { kind: 'invalid', field: 'server' },
      });
      out.push({
        label: `remote-bash cwd=${s.slice(0, 30)}`,
        tool: 'remote-bash',
        args: { ...bashBase, cwd: s },
        expect: { kind: 'any' },
      });
      out.push({
        label: `remote-bash env value=${s.slice(0, 30)}`,
        tool: 'remote-bash',
        args: { ...bashBase, command: 'printf %s "$X" >/dev/null', env: { X: s } },
        expect: { kind: 'any' },
      });
      out.push({
        label: `remote-bash env name=${s.slice(0, 30)}`,
        tool: 'remote-bash',
        args: { ...bashBase, env: { [s]: 'v' } },
        expect: { kind: 'invalid', field: 'env' },
      });
    }
    for (const timeout_s of [0, -5, 2.5, 1e12, -1e308]) {
      out.push({
        label: `remote-bash timeout_s=${timeout_s}`,
        tool: 'remote-bash',
        args: { ...bashBase, timeout_s },
        expect: { kind: 'invalid', field: 'timeout_s' },
      });
    }
    out.push({
      label: 'remote-bash command=""',
      tool: 'remote-bash',
      args: { ...bashBase, command: '' },
      expect: { kind: 'invalid', field: 'command' },
    });
    out.push({
      label: 'remote-bash command=1 MB',
      tool: 'remote-bash',
      args: { ...bashBase, command: MB },
      expect: { kind: 'invalid', field: 'command' },
    });
    out.push({
      label: 'remote-bash cwd=1 MB',
      tool: 'remote-bash',
      args: { ...bashBase, cwd: MB },
      expect: { kind: 'invalid', field: 'cwd' },
    });
    out.push({
      label: 'remote-bash env 1 MB value',
      tool: 'remote-bash',
      args: { ...bashBase, env: { X: MB } },
      expect: { kind: 'invalid', field: 'env' },
    });
    out.push({
      label: 'remote-bash many env',
      tool: 'remote-bash',
      args: { ...bashBase, env: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`V${i}`, 'v'])) },
      expect: { kind: 'invalid', field: 'env' },
    });
    out.push({
      label: 'remote-bash no command',
      tool: 'remote-bash',
      args: { server: 'box' },
      expect: { kind: 'invalid', field: 'command' },
    });
    out.push({
      label: 'remote-bash no server',
      tool: 'remote-bash',
      args: { command: 'true' },
      expect: { kind: 'invalid', field: 'server' },
    });
    out.push({
      label: 'remote-bash extra',
      tool: 'remote-bash',
      args: { ...bashBase, as_root: true },
      expect: { kind: 'invalid', field: 'as_root' },
    });
    out.push({
      label: 'remote-bash unknown server',
      tool: 'remote-bash',
      args: { server: 'ghost', command: 'true' },
      expect: { kind: 'error' },
    });

    // Unknown tools, and arguments of the wrong kind altogether.
    for (const tool of ['nope', 'remote_bash', 'REMOTE-BASH', '../../etc/passwd', 'a;rm -rf /', '', '💥', MB]) {
      out.push({ label: `unknown tool ${tool.slice(0, 30)}`, tool, args: {}, expect: { kind: 'error' } });
    }
    for (const tool of ['list-servers', 'add-server', 'remote-bash']) {
      for (const args of [null, [], ['box', 'true'], 'box', 42]) {
        out.push({
          label: `${tool} arguments=${JSON.stringify(args)}`,
          tool,
          args,
          expect: { kind: 'invalid', field: 'arguments' },
        });
      }
    }
    return out;
  }

  it('answers every one of a few hundred hostile calls with an error, then still works', async () => {
    const all = cases();
    expect(all.length).toBeGreaterThanOrEqual(300);
    const failures: string[] = [];
    const batch = 25;
    for (let i = 0; i < all.length; i += batch) {
      const slice = all.slice(i, i + batch);
      const answers = await Promise.all(
        slice.map((c) => raw.request('tools/call', { name: c.tool, arguments: c.args }, 30_000)),
      );
      slice.forEach((c, j) => {
        const r = answers[j] as JsonRpcResponse;
        const text = textOfResponse(r);
        if (c.expect.kind === 'any') return;
        if (!isErrorResponse(r)) failures.push(`${c.label}: expected an error, got ${text.slice(0, 200)}`);
        else if (c.expect.kind === 'invalid') failures.push(...invalidAnswerProblems(c, c.expect.field, r));
        else if (!KNOWN_TOOLS.has(c.tool) && r.error?.code !== -32602)
          failures.push(`${c.label}: an unknown tool must be a -32602 protocol error, got ${text.slice(0, 200)}`);
      });
    }
    expect(failures).toEqual([]);

    // Nothing smuggled into a name, a path, a cwd or an env value ran anywhere.
    expect(fs.existsSync(marker)).toBe(false);
    // The process is alive and a valid call works.
    expect(raw.proc.exitCode).toBeNull();
    const ok = await raw.request('tools/call', {
      name: 'remote-bash',
      arguments: { server: 'box', command: 'echo still here' },
    });
    expect(isErrorResponse(ok), textOfResponse(ok)).toBe(false);
    expect((ok.result?.structuredContent as { stdout: string }).stdout).toBe('still here');
    // The inventory still parses and holds exactly what was validly added.
    const inventory = JSON.parse(fs.readFileSync(path.join(home.dir, 'inventory.json'), 'utf8'));
    expect(inventory.servers.map((s: { name: string }) => s.name)).toEqual(['box']);
  });

  it('answers a NUL in a command, cwd or env (refused, or run as the engine passes it) without disturbing a command beside it', async () => {
    const beside = raw.request('tools/call', {
      name: 'remote-bash',
      arguments: { server: 'box', command: 'sleep 2; echo survived' },
    });
    for (const args of [
      { server: 'box', command: 'echo a\u0000b' },
      { server: 'box', command: 'true', cwd: '/tmp\u0000/etc' },
      { server: 'box', command: 'echo "$X"', env: { X: 'a\u0000b' } },
    ]) {
      const r = await raw.request('tools/call', { name: 'remote-bash', arguments: args });
      // sshd itself refuses a NUL in an exec request; whoever refuses it must say why.
      if (isErrorResponse(r)) expect(textOfResponse(r)).toMatch(/NUL/);
    }
    const survived = await beside;
    expect(isErrorResponse(survived), textOfResponse(survived)).toBe(false);
    expect(survived.result?.structuredContent).toMatchObject({ status: 'completed', stdout: 'survived' });
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
