// Expectations on what the deckhand binary answers over MCP, shared by the e2e tests.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';
import { textOf, type StdioSession } from './mcp.js';

/** An isError result whose text carries the stable code and everything in `mentions`. */
export function expectToolError(r: CallToolResult, code: string, mentions: (string | RegExp)[] = []): string {
  const text = textOf(r);
  expect(r.isError, text).toBe(true);
  expect(text).toContain(`Error (${code}):`);
  for (const m of mentions) {
    if (typeof m === 'string') expect(text).toContain(m);
    else expect(text).toMatch(m);
  }
  return text;
}

/** The deckhand process is still running and still answers. */
export async function expectAlive(mcp: StdioSession): Promise<void> {
  const pid = mcp.pid();
  expect(pid).toBeTypeOf('number');
  expect(() => process.kill(pid as number, 0)).not.toThrow();
  const r = await mcp.call('list-servers', {});
  expect(r.isError, textOf(r)).toBeFalsy();
}
