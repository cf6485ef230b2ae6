// How the answers to hostile calls are judged (hostile-input.test.ts, malformed-jsonrpc.test.ts).
import type { JsonRpcResponse } from '../helpers/raw-stdio.js';

/** What a hostile call must get back: a validation error naming the field, or any error, or (for values that are
 *  legal but nasty) any answer at all, as long as nothing they smuggle in runs. */
export type Expect = { kind: 'invalid'; field: string } | { kind: 'error' } | { kind: 'any' };
export interface Case {
  label: string;
  tool: string;
  args: unknown;
  expect: Expect;
}

export function textOfResponse(r: JsonRpcResponse): string {
  if (r.error) return r.error.message;
  return (r.result?.content ?? []).map((c) => c.text ?? '').join('\n');
}

export function isErrorResponse(r: JsonRpcResponse): boolean {
  return r.error !== undefined || r.result?.isError === true;
}

export const KNOWN_TOOLS = new Set(['add-server', 'list-servers', 'remove-server', 'remote-bash']);

/**
 * An argument that fails validation answers deckhand's invalid_argument: a tool result, never the SDK's wording,
 * with a line for the field saying what was wrong and what was given, and a hint. Arguments that are not an object
 * at all fail the SDK's parse of the request before any handler: a protocol error naming "arguments" (the SDK
 * answers -32603 there).
 */
export function invalidAnswerProblems(c: Case, field: string, r: JsonRpcResponse): string[] {
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
