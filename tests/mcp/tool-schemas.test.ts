import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, TOOLSETS } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { registeredTools } from '../../src/mcp/argument-validation.js';
import { mcpServerFactory } from '../../src/mcp/server.js';
import { tempHome } from '../helpers/home.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { textOf } from '../helpers/mcp.js';
import { providerSubsetViolations } from './provider-subset.js';

/**
 * The whole tool set's tools/list, on the wire, stays under this: it rides along in every conversation. Raised from
 * 24 KB to 27 KB for the four template tools (20 in all): they add 4.5 KB (save-template alone 2.7 KB: a template's
 * command, target, params, run defaults and schedule in one call), measured 26,443 bytes in all with descriptions cut
 * to a few words and ranges left to the argument gate. A client that needs less chooses groups with DECKHAND_TOOLSETS.
 */
const TOOLS_LIST_BUDGET = 27 * 1024;

describe('tool schemas every client accepts', () => {
  let home: ReturnType<typeof tempHome>;
  let d: InProcess;
  let listed: { tools: Tool[] };

  beforeAll(async () => {
    home = tempHome();
    d = await startInProcess({ DECKHAND_HOME: home.dir, DECKHAND_TASKS: 'on' }, { start: false });
    listed = await d.client.listTools();
  });
  afterAll(async () => {
    await d?.close();
    home?.cleanup();
  });

  it('lists every registered tool', () => {
    const registered = Object.keys(registeredTools(mcpServerFactory(d.app.services, silentLogger())()));
    expect(registered.length).toBe(20);
    expect(listed.tools.map((t) => t.name).sort()).toEqual(registered.sort());
  });

  it('shows only the groups DECKHAND_TOOLSETS chooses, and refuses an unknown group at startup', async () => {
    const h = tempHome();
    const few = await startInProcess(
      { DECKHAND_HOME: h.dir, DECKHAND_TOOLSETS: 'commands, jobs,templates' },
      { start: false },
    );
    try {
      const names = (await few.client.listTools()).tools.map((t) => t.name).sort();
      expect(names).toEqual(
        [
          'remote-bash',
          'get-job-status',
          'list-jobs',
          'cancel-job',
          'save-template',
          'run-template',
          'list-templates',
          'delete-template',
        ].sort(),
      );
      // A hidden tool is not there to call either.
      await expect(few.call('list-servers', {})).rejects.toThrow(
        /Unknown tool "list-servers": deckhand has remote-bash,/,
      );
    } finally {
      await few.close();
    }
    expect(() => loadConfig({ DECKHAND_HOME: h.dir, DECKHAND_TOOLSETS: 'commands,templats,dns' })).toThrow(
      /DECKHAND_TOOLSETS="commands,templats,dns": unknown groups "templats", "dns"; the groups are commands, jobs, templates, servers, provisioning, apps, files/,
    );
    expect(loadConfig({ DECKHAND_HOME: h.dir }).toolsets).toEqual([...TOOLSETS]);
    h.cleanup();
  });

  it('fits the JSON Schema subset OpenAI and Gemini function calling accept, with no $ref or propertyNames', () => {
    const problems = listed.tools.flatMap((t) => providerSubsetViolations(t.name, t.inputSchema));
    expect(problems).toEqual([]);
    const text = JSON.stringify(listed.tools.map((t) => t.inputSchema));
    expect(text).not.toContain('"$ref"');
    expect(text).not.toContain('propertyNames');
  });

  it(`keeps tools/list under ${TOOLS_LIST_BUDGET / 1024} KB for the whole set`, () => {
    const bytes = Buffer.byteLength(JSON.stringify(listed));
    const perTool = listed.tools.map((t) => `${t.name} ${Buffer.byteLength(JSON.stringify(t))}`).join(', ');
    expect(bytes, `tools/list is ${bytes} bytes: ${perTool}`).toBeLessThan(TOOLS_LIST_BUDGET);
  });

  it('advertises a map as "KEY=value" strings and takes it that way or as an object', async () => {
    const rb = listed.tools.find((t) => t.name === 'remote-bash');
    expect(rb?.inputSchema.properties?.env).toMatchObject({ type: 'array', items: { type: 'string' } });
    // Past the argument gate either way: the server is what is missing.
    for (const env of [['A=1', 'B=x=y'], { A: '1' }]) {
      const r = await d.call('remote-bash', { server: 'nowhere', command: 'true', env });
      expect(textOf(r)).toMatch(/^Error \(unknown_server\)/);
    }
    const bad = await d.call('remote-bash', { server: 'nowhere', command: 'true', env: ['1BAD=x'] });
    expect(textOf(bad)).toMatch(/^Error \(invalid_argument\): [^]*- env\.1BAD: must be an environment variable name/);
  });

  it('the checker finds what providers refuse', () => {
    const bad = {
      type: 'object',
      properties: {
        a: { $ref: '#/properties/b' },
        b: { type: 'object', additionalProperties: { type: 'string' }, propertyNames: { pattern: '^x' } },
        c: { oneOf: [{ type: 'string' }, { type: 'number' }] },
        d: { type: 'array' },
        e: { type: 'object', properties: {} },
        f: { type: 'string', format: 'uri' },
        'g-h': { type: 'integer', exclusiveMinimum: 0 },
        i: { type: ['string', 'number'] },
      },
    };
    const found = providerSubsetViolations('x', bad).join('\n');
    for (const what of [
      '"$ref" is not accepted',
      'additionalProperties may only be false',
      '"propertyNames" is not accepted',
      '"oneOf" is not accepted',
      'an array needs one items schema',
      'an object needs properties',
      'string format "uri"',
      'a property name must match',
      '"exclusiveMinimum" is not accepted',
      'a type list may only be [T, "null"]',
    ]) {
      expect(found).toContain(what);
    }
  });
});
