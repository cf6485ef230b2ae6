import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { DeckhandError, errorMessage } from '../../../errors.js';

/** A result carrying both structuredContent and a compact text for clients that ignore structured output. */
export function ok(structured: Record<string, unknown>, text: string): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: structured };
}

/** Tool failures are results, not protocol errors: the message says what went wrong and what to do. */
export function fail(err: unknown): CallToolResult {
  const code = err instanceof DeckhandError ? err.code : 'internal_error';
  return { isError: true, content: [{ type: 'text', text: `Error (${code}): ${errorMessage(err)}` }] };
}

/** Wraps a handler so any thrown error becomes an isError result instead of escaping. */
export function guarded<A extends unknown[]>(
  fn: (...args: A) => Promise<CallToolResult>,
): (...args: A) => Promise<CallToolResult> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      return fail(err);
    }
  };
}
