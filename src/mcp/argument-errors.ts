/**
 * Turns a tool's failed argument validation (zod issues) into deckhand's `invalid_argument` answer: one entry per
 * failing field with what was expected and what was given (cut short, and never an env value: those are secrets).
 * Pure, so every tool's argument errors read alike whatever its schema.
 */
import { z, type ZodIssue } from 'zod';
import { formatCount } from '../format.js';

export interface ArgumentProblem {
  /** Dotted path of the field, e.g. "route.port" or "env.API_KEY". */
  readonly field: string;
  /** What was expected: "expected an integer", or the schema's own words ("must be a lowercase slug ..."). */
  readonly problem: string;
  /** What was sent, cut short; env values only by their size. */
  readonly given: string;
}

export interface ArgumentErrors {
  readonly message: string;
  readonly hint: string;
  readonly problems: readonly ArgumentProblem[];
}

const SHOWN_CHARS = 40;
const MAX_PROBLEMS = 20;
// Fields whose values are secrets by contract (tools.md: env values never reach records, logs or results).
const SECRET_FIELDS = new Set(['env']);

export function describeArgumentErrors(
  tool: string,
  args: unknown,
  issues: readonly ZodIssue[],
  parameters: readonly string[],
): ArgumentErrors {
  const problems = dedupe(issues.flatMap((issue) => problemsOf(issue, args, parameters))).slice(0, MAX_PROBLEMS);
  const lines = problems.map((p) => `- ${p.field}: ${p.problem}; given ${p.given}`);
  const count = problems.length === 1 ? 'an argument' : `${problems.length} arguments`;
  return {
    message: `${tool} refused ${count}:\n${lines.join('\n')}\n`,
    hint: `Fix ${problems.length === 1 ? 'it' : 'them'} and call ${tool} again; tools/list gives each parameter's type and limits.`,
    problems,
  };
}

function problemsOf(issue: ZodIssue, args: unknown, parameters: readonly string[]): ArgumentProblem[] {
  const path = issue.path.map(String);
  if (issue.code === z.ZodIssueCode.unrecognized_keys) {
    const where = path.length === 0 ? `takes ${parameters.join(', ') || 'no parameters'}` : 'has no such field';
    return issue.keys.map((key) => ({
      field: fieldName([...path, key]),
      problem: `unknown parameter (${where})`,
      given: given(valueAt(args, [...path, key]), [...path, key]),
    }));
  }
  if (issue.code === z.ZodIssueCode.invalid_union) {
    // The branch that got furthest says the most; zod lists branches in schema order.
    const deepest = issue.unionErrors.flatMap((e) => e.issues).sort((a, b) => b.path.length - a.path.length)[0];
    if (deepest) return problemsOf(deepest, args, parameters);
  }
  const value = valueAt(args, path);
  return [{ field: fieldName(path), problem: problemOf(issue, value), given: given(value, path) }];
}

function problemOf(issue: ZodIssue, value: unknown): string {
  if (!isDefaultMessage(issue)) return issue.message;
  const expected = expectation(issue, value);
  return expected === undefined ? issue.message : `expected ${expected}`;
}

function expectation(issue: ZodIssue, value: unknown): string | undefined {
  switch (issue.code) {
    case z.ZodIssueCode.invalid_type:
      return value === undefined ? `${article(issue.expected)} (required)` : article(issue.expected);
    case z.ZodIssueCode.invalid_enum_value:
      return `one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`;
    case z.ZodIssueCode.invalid_literal:
      return JSON.stringify(issue.expected);
    case z.ZodIssueCode.too_small:
      return bound(issue.type, 'at least', issue.minimum, issue.inclusive);
    case z.ZodIssueCode.too_big:
      return bound(issue.type, 'at most', issue.maximum, issue.inclusive);
    case z.ZodIssueCode.not_multiple_of:
      return `a multiple of ${String(issue.multipleOf)}`;
    default:
      return undefined;
  }
}

/** A message the schema author wrote says more than zod's generic one; zod's own are rebuilt in plain words. */
function isDefaultMessage(issue: ZodIssue): boolean {
  const { message, ...rest } = issue;
  return z.defaultErrorMap(rest as ZodIssue, { defaultError: message, data: undefined }).message === message;
}

function bound(type: string, word: string, limit: number | bigint, inclusive: boolean): string {
  const n = Number(limit);
  if (type === 'string') return `${word} ${formatCount(n)} characters`;
  if (type === 'array' || type === 'set') return `${word} ${formatCount(n)} items`;
  if (inclusive) return `a number ${word} ${formatCount(n)}`;
  return `a number ${word === 'at least' ? 'greater' : 'less'} than ${formatCount(n)}`;
}

function article(type: string): string {
  const names: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    integer: 'an integer',
    boolean: 'true or false',
    object: 'an object',
    array: 'an array',
    null: 'null',
  };
  // An enum given a value of another type: zod names the options as "'auto' | 'sync'".
  if (type.includes(' | '))
    return `one of ${type
      .split(' | ')
      .map((o) => o.replace(/^'(.*)'$/, '"$1"'))
      .join(', ')}`;
  return names[type] ?? type;
}

/** What the caller sent, short enough to quote back: a 1 MB string is named by its size. */
export function given(value: unknown, path: readonly string[]): string {
  if (value === undefined) return 'nothing';
  if (path.length > 0 && SECRET_FIELDS.has(path[0] as string)) {
    return typeof value === 'string' ? `a string of ${size(value)} (not shown: a secret)` : typeOf(value);
  }
  if (typeof value === 'string') {
    const shown = JSON.stringify(value.length > SHOWN_CHARS ? `${value.slice(0, SHOWN_CHARS)}…` : value);
    return value.length > SHOWN_CHARS ? `${shown} (${size(value)})` : shown;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return `an array of ${formatCount(value.length)} items`;
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    const shown = keys.slice(0, 5).map((k) => JSON.stringify(k.length > 30 ? `${k.slice(0, 30)}…` : k));
    return keys.length === 0
      ? 'an empty object'
      : `an object with ${keys.length === 1 ? 'key' : 'keys'} ${shown.join(', ')}${keys.length > 5 ? ` and ${formatCount(keys.length - 5)} more` : ''}`;
  }
  return typeof value;
}

function size(s: string): string {
  const bytes = Buffer.byteLength(s, 'utf8');
  return bytes === s.length
    ? `${formatCount(bytes)} bytes`
    : `${formatCount(s.length)} characters, ${formatCount(bytes)} bytes`;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let v = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function fieldName(path: readonly string[]): string {
  if (path.length === 0) return '(arguments)';
  return path.map((p) => (p.length > 60 ? `${p.slice(0, 60)}…` : p)).join('.');
}

function dedupe(problems: readonly ArgumentProblem[]): ArgumentProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.field}\u0000${p.problem}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
