import type { Node } from 'web-tree-sitter';
import type { ShellWord } from './types.js';

/**
 * The value bash would hand a program for one word node, with quotes and escapes removed, so that `\rm`, `'rm'`,
 * `"r"m` and `$'\x72m'` all read as `rm`. A word whose value depends on an expansion has the value null.
 */
export function wordOf(node: Node): ShellWord {
  const { value, pattern } = valueOf(node);
  return { raw: node.text, value, pattern };
}

interface Piece {
  value: string | null;
  pattern: boolean;
}

const DYNAMIC: Piece = { value: null, pattern: false };

function valueOf(node: Node): Piece {
  const raw = node.text;
  switch (node.type) {
    case 'command_name': {
      const inner = node.namedChildren[0];
      return inner ? valueOf(inner) : DYNAMIC;
    }
    case 'word':
      return unquoted(raw);
    case 'number':
      return node.namedChildCount === 0 ? { value: raw, pattern: false } : DYNAMIC;
    case 'raw_string':
      return { value: raw.slice(1, -1), pattern: false };
    case 'string':
      return literalString(node, raw.slice(1, -1));
    case 'translated_string':
      return literalString(node.namedChildren[0] ?? node, raw.slice(2, -1));
    case 'ansi_c_string': {
      const value = decodeAnsiC(raw.slice(2, -1));
      return { value, pattern: false };
    }
    case 'concatenation': {
      let value = '';
      let pattern = false;
      for (const child of node.namedChildren) {
        if (!child) return DYNAMIC;
        const piece = valueOf(child);
        if (piece.value === null) return DYNAMIC;
        value += piece.value;
        pattern ||= piece.pattern;
      }
      // A brace expansion such as `{a,b}` reaches us split into pieces; the joined source tells.
      return { value, pattern: pattern || hasBraceExpansion(raw) };
    }
    case 'brace_expression':
      return { value: raw, pattern: true };
    default:
      return DYNAMIC;
  }
}

function literalString(node: Node, inner: string): Piece {
  const dynamic = node.namedChildren.some((c) => c !== null && c.type !== 'string_content');
  return dynamic ? DYNAMIC : { value: unescapeDoubleQuoted(inner), pattern: false };
}

/** An unquoted word: a backslash quotes the next character; an unquoted glob or brace may expand. */
function unquoted(raw: string): Piece {
  let value = '';
  let pattern = false;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '\\') {
      const next = raw[i + 1];
      i++;
      if (next !== undefined && next !== '\n') value += next;
      continue;
    }
    if (ch === '*' || ch === '?' || ch === '[') pattern = true;
    value += ch;
  }
  return { value, pattern: pattern || hasBraceExpansion(raw) };
}

function hasBraceExpansion(raw: string): boolean {
  return /\{[^{}\s]*(?:,|\.\.)[^{}\s]*\}/.test(raw);
}

/** Inside double quotes a backslash only quotes `$`, a backquote, `"`, `\` and a newline. */
function unescapeDoubleQuoted(s: string): string {
  return s.replace(/\\([$`"\\\n])/g, (_m, ch: string) => (ch === '\n' ? '' : ch));
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/** Decodes the body of a `$'…'` string the way bash does, so `$'\x72m'` reads as `rm`. */
export function decodeAnsiC(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\' || i + 1 >= body.length) {
      out += ch;
      continue;
    }
    const next = body[i + 1]!;
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out += simple;
      i++;
      continue;
    }
    const numeric = numericEscape(body, i + 1);
    if (numeric) {
      out += numeric.text;
      i = numeric.end - 1;
      continue;
    }
    out += ch;
  }
  return out;
}

function numericEscape(body: string, at: number): { text: string; end: number } | null {
  const kind = body[at]!;
  const take = (re: RegExp, from: number, max: number): string => {
    let digits = '';
    while (digits.length < max && from + digits.length < body.length && re.test(body[from + digits.length]!)) {
      digits += body[from + digits.length];
    }
    return digits;
  };
  if (/[0-7]/.test(kind)) {
    const digits = take(/[0-7]/, at, 3);
    return { text: String.fromCharCode(parseInt(digits, 8) & 0xff), end: at + digits.length };
  }
  const hexMax = kind === 'x' ? 2 : kind === 'u' ? 4 : kind === 'U' ? 8 : 0;
  if (hexMax > 0) {
    const digits = take(/[0-9a-fA-F]/, at + 1, hexMax);
    if (!digits) return null;
    const code = parseInt(digits, 16);
    return { text: code <= 0x10ffff ? String.fromCodePoint(code) : '', end: at + 1 + digits.length };
  }
  if (kind === 'c' && at + 1 < body.length) {
    return { text: String.fromCharCode(body.charCodeAt(at + 1) & 0x1f), end: at + 2 };
  }
  return null;
}
