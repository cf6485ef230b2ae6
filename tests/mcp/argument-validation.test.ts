// Every tool's argument errors are deckhand's own invalid_argument answers, checked in-process: a real SDK Client
// over InMemoryTransport against the McpServer createApp builds (no sshd needed: validation runs before any work).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CallToolResultSchema,
  ErrorCode,
  McpError,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toJsonSchemaCompat } from '@modelcontextprotocol/sdk/server/zod-json-schema-compat.js';
import { silentLogger } from '../../src/logger.js';
import { registeredTools } from '../../src/mcp/argument-validation.js';
import { mcpServerFactory } from '../../src/mcp/server.js';
import { byteSize } from '../../src/mcp/tools/shared/byte-limit.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';

interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  maxLength?: number;
}

let home: string;
let deckhand: InProcess;
let client: Client;
let tools: Tool[];

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-args-'));
  deckhand = await startInProcess({ DECKHAND_HOME: home }, { start: false });
  client = deckhand.client;
  // The schemas as the tools define them, which the gate checks against (tools/list advertises them compacted:
  // mcp/schema-compact.ts). Every listed tool is among them.
  const registered = registeredTools(mcpServerFactory(deckhand.app.services, silentLogger())());
  tools = Object.entries(registered).map(([name, t]) => ({
    name,
    inputSchema: toJsonSchemaCompat(t.inputSchema as never) as Tool['inputSchema'],
    ...(t.outputSchema ? { outputSchema: toJsonSchemaCompat(t.outputSchema as never) as Tool['outputSchema'] } : {}),
  }));
  expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(tools.map((t) => t.name).sort());
});
afterAll(async () => {
  await deckhand?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
const call = async (name: string, args: Record<string, unknown>) =>
  (await client.callTool({ name, arguments: args })) as CallToolResult;

interface Structured {
  status: string;
  error: {
    code: string;
    message: string;
    hint: string;
    fields: { field: string; problem: string; given: string }[];
  };
}

/** The shape every refusal has, in the text and (where the output schema holds it) in structuredContent. */
function expectRefused(r: CallToolResult, tool: Tool, field: string): string {
  const text = textOf(r);
  expect(r.isError, text).toBe(true);
  expect(text).toMatch(/^Error \(invalid_argument\): \S+ refused (an argument|\d+ arguments):\n/);
  expect(text).not.toMatch(/MCP error|-32602|Input validation error/);
  expect(text).toMatch(new RegExp(`\\n- ${field.replace(/[.$]/g, '\\$&')}: .+; given .+`));
  expect(text).toMatch(/Fix (it|them) and call \S+ again; tools\/list gives each parameter's type and limits\.$/);
  const jobAnswer = (tool.outputSchema?.properties as Record<string, { enum?: string[] }> | undefined)?.status?.enum;
  if (jobAnswer?.includes('rejected')) {
    const s = r.structuredContent as unknown as Structured;
    expect(s.status).toBe('rejected');
    expect(s.error).toMatchObject({ code: 'invalid_argument', hint: expect.stringMatching(/^Fix/) });
    expect(s.error.fields.map((f) => f.field)).toContain(field);
  } else {
    expect(r.structuredContent).toBeUndefined();
  }
  return text;
}

/** A property's schema, following the "#/properties/x" references zod-to-json-schema makes for a reused zod schema. */
function propertiesOf(tool: Tool): Record<string, JsonSchema> {
  const props = (tool.inputSchema as JsonSchema).properties ?? {};
  const resolve = (s: JsonSchema): JsonSchema =>
    s.$ref?.startsWith('#/properties/') ? resolve(props[s.$ref.slice('#/properties/'.length)] ?? {}) : s;
  return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, resolve(v)]));
}

function wrongValue(schema: JsonSchema): unknown {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  expect(type, JSON.stringify(schema)).toBeDefined();
  return type === 'string' ? 42 : 'not-the-right-type';
}

describe('argument validation, the same for every tool', () => {
  it('lists the tools it checks', () => {
    expect(tools.length).toBeGreaterThanOrEqual(13);
  });

  it('answers a wrong type with invalid_argument naming the field', async () => {
    for (const tool of tools) {
      for (const [field, schema] of Object.entries(propertiesOf(tool))) {
        const r = await call(tool.name, { [field]: wrongValue(schema) });
        expectRefused(r, tool, field);
      }
    }
  });

  it('answers a missing required field with invalid_argument naming it as required', async () => {
    let checked = 0;
    for (const tool of tools) {
      for (const field of (tool.inputSchema as JsonSchema).required ?? []) {
        const text = expectRefused(await call(tool.name, {}), tool, field);
        expect(text).toContain(`- ${field}: expected `);
        expect(text).toMatch(new RegExp(`- ${field}: expected .*\\(required\\); given nothing`));
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });

  it('answers an over-long string with invalid_argument naming the field and the size given', async () => {
    let checked = 0;
    for (const tool of tools) {
      for (const [field, schema] of Object.entries(propertiesOf(tool))) {
        if (schema.maxLength === undefined) continue;
        const long = 'x'.repeat(schema.maxLength + 1);
        const text = expectRefused(await call(tool.name, { [field]: long }), tool, field);
        expect(text).toContain(`(${(schema.maxLength + 1).toLocaleString('en-US')} bytes)`);
        expect(text).not.toContain(long.slice(0, 100));
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });

  it('answers an unknown property with invalid_argument naming it and listing the real ones', async () => {
    for (const tool of tools) {
      const text = expectRefused(await call(tool.name, { bogus_field: 1 }), tool, 'bogus_field');
      const names = Object.keys((tool.inputSchema as JsonSchema).properties ?? {});
      expect(text).toContain(`- bogus_field: unknown parameter (takes ${names.join(', ') || 'no parameters'})`);
    }
  });

  it('names every failing field of one call, nested ones by their path', async () => {
    const r = await call('deploy-app', {
      server: 'Bad Name',
      route: { service: 'web', port: 70000 },
      sync_wait_s: 'soon',
      extra: true,
    });
    const deploy = tools.find((t) => t.name === 'deploy-app') as Tool;
    const text = expectRefused(r, deploy, 'route.port');
    expect(text).toMatch(/^Error \(invalid_argument\): deploy-app refused 4 arguments:/);
    expect(text).toContain('- server: must be a lowercase slug');
    expect(text).toContain('given "Bad Name"');
    expect(text).toContain('- route.port: expected a number at most 65,535; given 70000');
    expect(text).toContain('- sync_wait_s: expected a number; given "soon"');
    expect(text).toContain('- extra: unknown parameter (takes server, app, compose,');
  });

  it('words a task-augmented call with bad arguments the same way, as the protocol error a task request needs', async () => {
    const err = await client
      .request(
        { method: 'tools/call', params: { name: 'remote-bash', arguments: { server: 'box', mode: 1 }, task: {} } },
        CallToolResultSchema,
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(ErrorCode.InvalidParams);
    expect((err as McpError).message).toMatch(
      /invalid_argument: remote-bash refused 2 arguments:\n- command: expected a string \(required\); given nothing\n- mode: expected one of "auto", "sync", "background"; given 1\nFix them/,
    );
  });

  it('keeps unknown tools a protocol error', async () => {
    const err = await client.callTool({ name: 'no-such-tool', arguments: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(ErrorCode.InvalidParams);
    expect((err as McpError).message).toMatch(/Unknown tool "no-such-tool": deckhand has add-server, .*deploy-app/);
  });
});

describe('size limits in UTF-8 bytes', () => {
  it('formats sizes as tools.md documents them', () => {
    expect(byteSize(262_144)).toBe('256 KiB (262,144 bytes)');
    expect(byteSize(300_000)).toBe('293 KiB (300,000 bytes)');
    expect(byteSize(40_000)).toBe('39.1 KiB (40,000 bytes)');
    expect(byteSize(512)).toBe('512 bytes');
  });

  it('refuses a compose file of 150,000 × "é" (293 KiB), saying the size found and the limit', async () => {
    const deploy = tools.find((t) => t.name === 'deploy-app') as Tool;
    const text = expectRefused(
      await call('deploy-app', { server: 'box', compose: 'é'.repeat(150_000), name: 'x' }),
      deploy,
      'compose',
    );
    expect(text).toContain('- compose: is 293 KiB (300,000 bytes) in UTF-8; the limit is 256 KiB (262,144 bytes)');
    expect(text).toContain('(150,000 characters, 300,000 bytes)');
    // Under the limit in bytes, it passes validation (and meets the next check: no such server).
    const fine = await call('deploy-app', { server: 'box', compose: `# ${'x'.repeat(200_000)}\n`, name: 'x' });
    expect(textOf(fine)).toMatch(/^Error \(unknown_server\)/);
  });

  it('counts a command and env values in bytes, and never quotes an env value back', async () => {
    const bash = tools.find((t) => t.name === 'remote-bash') as Tool;
    const cmd = await call('remote-bash', { server: 'box', command: `echo ${'€'.repeat(90_000)}` });
    expect(expectRefused(cmd, bash, 'command')).toMatch(
      /- command: is 264 KiB \(270,005 bytes\) in UTF-8; the limit is 256 KiB/,
    );
    const secret = 'ü'.repeat(20_000);
    const env = await call('remote-bash', { server: 'box', command: 'true', env: { TOKEN: secret } });
    const text = expectRefused(env, bash, 'env.TOKEN');
    expect(text).toContain('- env.TOKEN: is 39.1 KiB (40,000 bytes) in UTF-8; the limit is 32 KiB (32,768 bytes)');
    expect(text).toContain('given a string of 20,000 characters, 40,000 bytes (not shown: a secret)');
    expect(text).not.toContain('üüü');
  });
});
