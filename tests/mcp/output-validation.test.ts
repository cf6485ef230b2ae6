// deckhand's check of structured answers (src/mcp/output-validation.ts) in place of the SDK's: a real McpServer with
// its wrappers and a real SDK Client over InMemoryTransport, tools that answer right and wrong.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { installOutputValidation, OutputChecks } from '../../src/mcp/output-validation.js';
import { installToolListing } from '../../src/mcp/tool-listing.js';

const lines = z.array(z.object({ seq: z.number(), stream: z.enum(['stdout', 'stderr']), text: z.string() }));

function serverWith(checks: OutputChecks, answers: Record<string, () => CallToolResult>): McpServer {
  const server = new McpServer({ name: 't', version: '1' });
  for (const [name, answer] of Object.entries(answers))
    server.registerTool(name, { inputSchema: {}, outputSchema: { logs: lines, n: z.number() } }, () => answer());
  installOutputValidation(server, checks);
  installToolListing(server);
  return server;
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function connect(server: McpServer): Promise<Client> {
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  // The client checks answers too; a bare request shows what the server itself let through.
  const client = new Client({ name: 'c', version: '1' });
  await client.connect(b);
  open.push(client, server);
  return client;
}

const raw = async (client: Client, name: string) =>
  (await client.request(
    { method: 'tools/call', params: { name, arguments: {} } },
    (await import('@modelcontextprotocol/sdk/types.js')).CallToolResultSchema,
  )) as CallToolResult;
const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

describe('output validation', () => {
  const good = { logs: [{ seq: 1, stream: 'stdout', text: 'a' }], n: 1 };
  const answers = {
    good: () => ({ content: [{ type: 'text' as const, text: 'ok' }], structuredContent: good }),
    bad: () => ({
      content: [{ type: 'text' as const, text: 'ok' }],
      structuredContent: { logs: [good.logs[0], { seq: 2, stream: 'elsewhere', text: 'b' }], n: 1 },
    }),
    extra: () => ({
      content: [{ type: 'text' as const, text: 'ok' }],
      structuredContent: { ...good, logs: [{ ...good.logs[0], more: 1 }], later: 'a field added later' },
    }),
    missing: () => ({ content: [{ type: 'text' as const, text: 'ok' }] }),
    failed: () => ({ content: [{ type: 'text' as const, text: 'Error: no' }], isError: true }),
  };

  it('passes an answer that fits, refuses one that does not with where and why, and one without structured content', async () => {
    const client = await connect(serverWith(new OutputChecks(), answers));
    const ok = await raw(client, 'good');
    expect(ok.isError).toBeFalsy();
    expect(ok.structuredContent).toEqual(good);

    // A field the schema does not name passes, as it did through zod's parse.
    const extra = await raw(client, 'extra');
    expect(extra.isError, textOf(extra)).toBeFalsy();

    const bad = await raw(client, 'bad');
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/Output validation error: Invalid structured content for tool bad: .*logs\/1\/stream/);
    expect(bad.structuredContent).toBeUndefined();

    const missing = await raw(client, 'missing');
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toContain('Tool missing has an output schema but no structured content was provided');

    // An error answer is not held to the schema.
    const failed = await raw(client, 'failed');
    expect(failed.isError).toBe(true);
    expect(textOf(failed)).toBe('Error: no');
  });

  it('compiles each advertised schema once for every session of the process', async () => {
    const checks = new OutputChecks();
    const compile = checks.check.bind(checks);
    const seen: string[] = [];
    checks.check = (schema) => {
      seen.push(JSON.stringify(schema));
      return compile(schema);
    };
    for (let i = 0; i < 3; i++) {
      const client = await connect(serverWith(checks, answers));
      expect((await raw(client, 'good')).isError).toBeFalsy();
      expect((await raw(client, 'bad')).isError).toBe(true);
    }
    // Each session asks for a tool's check at its first answer (good and bad here: the others never answered); one
    // compiled check behind them all.
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(1);
    expect((checks as unknown as { compiled: Map<string, unknown> }).compiled.size).toBe(1);
  });

  it('fails at install when the SDK no longer has the check it replaces', () => {
    const server = new McpServer({ name: 't', version: '1' });
    (server as unknown as { validateToolOutput: unknown }).validateToolOutput = undefined;
    expect(() => installOutputValidation(server, new OutputChecks())).toThrow(/validateToolOutput is gone/);
  });
});
