import type { Node } from 'web-tree-sitter';
import type { BashGrammar } from './grammar.js';
import type { ShellAssignment, ShellParser, ShellRedirect, ShellScript, ShellUnit, ShellWord } from './types.js';
import { errorNote, skippedEscape } from './divergence.js';
import { wordOf } from './words.js';

/** Longer scripts are not read at all (and so count as destructive): a guard against pathological input. */
export const MAX_SCRIPT_CHARS = 64 * 1024;

/** Nodes that only hold other statements or word pieces: walked for the commands inside them. */
const CONTAINERS = new Set([
  'program',
  'list',
  'pipeline',
  'subshell',
  'compound_statement',
  'do_group',
  'if_statement',
  'elif_clause',
  'else_clause',
  'while_statement',
  'for_statement',
  'c_style_for_statement',
  'case_statement',
  'case_item',
  'negated_command',
  'test_command',
  'command_substitution',
  'process_substitution',
  'string',
  'translated_string',
  'concatenation',
  'expansion',
  'array',
  'subscript',
  'heredoc_body',
  'number',
  'brace_expression',
  'arithmetic_expansion',
  'binary_expression',
  'unary_expression',
  'postfix_expression',
  'ternary_expression',
  'parenthesized_expression',
  'variable_assignments',
  'command_name',
]);

/** Nodes with nothing inside that runs. */
const LEAVES = new Set([
  'word',
  'raw_string',
  'ansi_c_string',
  'string_content',
  'variable_name',
  'special_variable_name',
  'simple_expansion',
  'file_descriptor',
  'heredoc_start',
  'heredoc_end',
  'heredoc_content',
  'test_operator',
  'regex',
  'extglob_pattern',
  'comment',
]);

const REDIRECTS = new Set(['file_redirect', 'heredoc_redirect', 'herestring_redirect']);

/** A ShellParser over tree-sitter-bash. Anything the grammar cannot read, or a construct not known here, becomes an unreadable unit. */
/** Backquotes inside backquotes deeper than this are not read. */
const MAX_BACKQUOTE_DEPTH = 8;

/** Where the walk puts units; `reparse` reads the body of a backquoted substitution as a script of its own. */
interface Out {
  push(...units: ShellUnit[]): void;
  reparse(body: string): readonly ShellUnit[];
}

export function createShellParser(grammar: BashGrammar): ShellParser {
  const parseAt = (source: string, depth: number): ShellScript => {
    if (source.length > MAX_SCRIPT_CHARS) {
      return unreadable(source, `it is longer than ${MAX_SCRIPT_CHARS} characters`);
    }
    if (depth > MAX_BACKQUOTE_DEPTH)
      return unreadable(source, `backquotes nested more than ${MAX_BACKQUOTE_DEPTH} deep`);
    return grammar.withTree(source, (root) => {
      if (root.hasError) return unreadable(source, errorNote(root));
      const skipped = skippedEscape(root);
      if (skipped) return unreadable(source, skipped);
      const units: ShellUnit[] = [];
      const out: Out = {
        push: (...u) => units.push(...u),
        reparse: (body) => parseAt(body, depth + 1).units,
      };
      visit(root, out);
      return { source, units };
    });
  };
  return { parse: (source) => parseAt(source, 0) };
}

/** A second list, for units that must come after others, that reads backquotes the same way as `out`. */
function beside(out: Out): Out & { readonly units: ShellUnit[] } {
  const units: ShellUnit[] = [];
  return { units, push: (...u) => units.push(...u), reparse: out.reparse };
}

function unreadable(source: string, why: string): ShellScript {
  return { source, units: [{ kind: 'unreadable', text: source, why }] };
}

function visit(node: Node, out: Out): void {
  const type = node.type;
  if (!node.isNamed || LEAVES.has(type)) return;
  // In backquotes bash first removes the backslash before \\, \` and \$, then parses what is left; tree-sitter
  // parses the text as it stands, so `eval 'echo "\$(rm x)"'` inside backquotes would hide the rm.
  if (type === 'command_substitution' && node.text.startsWith('`')) {
    const quoted = node.parent?.type === 'string';
    const body = node.text.slice(1, -1).replace(quoted ? /\\([\\`$"])/g : /\\([\\`$])/g, '$1');
    return out.push(...out.reparse(body));
  }
  if (CONTAINERS.has(type)) return visitChildren(node, out);
  switch (type) {
    case 'command':
      return commandUnit(node, [], out);
    case 'redirected_statement':
      return redirectedStatement(node, out);
    case 'declaration_command':
    case 'unset_command':
      return declaration(node, out);
    case 'variable_assignment':
      out.push({ kind: 'assignment', text: node.text, assignment: assignmentOf(node) });
      return assignmentInsides(node, out);
    case 'function_definition':
      for (const body of node.childrenForFieldName('body')) if (body) visit(body, out);
      return standaloneRedirects(node.childrenForFieldName('redirect'), out);
    default:
      if (REDIRECTS.has(type)) return standaloneRedirects([node], out);
      out.push({ kind: 'unreadable', text: node.text, why: `a shell construct deckhand does not check (${type})` });
  }
}

function visitChildren(node: Node, out: Out): void {
  for (const child of node.namedChildren) if (child) visit(child, out);
}

function commandUnit(node: Node, outer: readonly Node[], out: Out, text = node.text): void {
  const words: ShellWord[] = [];
  const assignments: ShellAssignment[] = [];
  const redirectNodes: Node[] = [];
  const inside: Node[] = [];
  let lastWord: Node | null = null;
  for (let i = 0; i < node.childCount; i++) {
    const child = node.child(i);
    if (!child?.isNamed) continue;
    const field = node.fieldNameForChild(i);
    if (field === 'name' || field === 'argument') {
      // tree-sitter-bash splits `"r"\m` into two pieces that touch; bash reads one word.
      if (lastWord && lastWord.endIndex === child.startIndex) words.push(joinWords(words.pop()!, wordOf(child)));
      else words.push(wordOf(child));
      inside.push(child);
      lastWord = child;
    } else if (field === 'redirect' || REDIRECTS.has(child.type)) {
      redirectNodes.push(child);
    } else if (child.type === 'variable_assignment') {
      assignments.push(assignmentOf(child));
    } else {
      inside.push(child);
    }
  }
  // The command comes first so that reasons read in source order; what runs inside its words follows it.
  const nested = beside(out);
  const redirects = [...redirectNodes, ...outer].flatMap((r) => redirectOf(r, nested));
  out.push({ kind: 'command', text, assignments, words, redirects });
  for (let i = 0; i < node.childCount; i++) {
    const child = node.child(i);
    if (child?.type === 'variable_assignment') assignmentInsides(child, out);
  }
  for (const child of inside) visit(child, out);
  out.push(...nested.units);
}

function redirectedStatement(node: Node, out: Out): void {
  const body = node.childForFieldName('body');
  const redirects = node.namedChildren.filter((c): c is Node => c !== null && c !== body && REDIRECTS.has(c.type));
  // Shown as the command and its redirects, without a heredoc's body.
  const text = [body?.text ?? '', ...redirects.map(redirectLabel)].join(' ').trim();
  if (body?.type === 'command') return commandUnit(body, redirects, out, text);
  if (body) visit(body, out);
  standaloneRedirects(redirects, out);
}

function standaloneRedirects(nodes: readonly (Node | null)[], out: Out): void {
  const nested = beside(out);
  for (const n of nodes) {
    if (!n) continue;
    for (const r of redirectOf(n, nested)) out.push({ kind: 'redirect', text: r.raw, redirect: r });
  }
  out.push(...nested.units);
}

/** A redirect, plus whatever runs inside it (a process substitution, a heredoc's expansions, `<<EOF | sh`). */
function redirectOf(node: Node, out: Out): ShellRedirect[] {
  if (node.type === 'file_redirect') {
    // Pieces of one file name can come as several touching destinations (`> "a"\b`).
    const pieces = node.childrenForFieldName('destination').filter((d): d is Node => d !== null);
    for (const piece of pieces) visit(piece, out);
    const target = pieces.length > 0 ? pieces.map(wordOf).reduce(joinWords) : null;
    return [{ raw: node.text, op: firstOperator(node) ?? '>', target }];
  }
  if (node.type === 'herestring_redirect') {
    visitChildren(node, out);
    return [{ raw: node.text, op: '<<<', target: null }];
  }
  // A heredoc: its body may expand `$(…)`; the rest of its line (`| sh`, `&& rm x`, `> file`) hangs under it.
  const own: ShellRedirect = { raw: redirectLabel(node), op: '<<', target: null };
  const nested: ShellRedirect[] = [];
  for (let i = 0; i < node.childCount; i++) {
    const child = node.child(i);
    if (!child?.isNamed) continue;
    if (node.fieldNameForChild(i) === 'redirect' || REDIRECTS.has(child.type)) nested.push(...redirectOf(child, out));
    else visit(child, out);
  }
  return [own, ...nested];
}

function joinWords(a: ShellWord, b: ShellWord): ShellWord {
  return {
    raw: a.raw + b.raw,
    value: a.value === null || b.value === null ? null : a.value + b.value,
    pattern: a.pattern || b.pattern,
  };
}

function redirectLabel(node: Node): string {
  if (node.type !== 'heredoc_redirect') return node.text;
  const start = node.namedChildren.find((c) => c?.type === 'heredoc_start');
  return `${firstOperator(node) ?? '<<'}${start?.text ?? ''}`;
}

function firstOperator(node: Node): string | undefined {
  for (const c of node.children) if (c && !c.isNamed) return c.type;
  return undefined;
}

function declaration(node: Node, out: Out): void {
  const words: ShellWord[] = [];
  const assignments: ShellAssignment[] = [];
  for (const child of node.children) {
    if (!child) continue;
    if (!child.isNamed) {
      // The keyword itself (export, declare, local, readonly, typeset, unset).
      if (/^[a-z]+$/.test(child.type)) words.push({ raw: child.text, value: child.text, pattern: false });
      continue;
    }
    if (child.type === 'variable_assignment') {
      assignments.push(assignmentOf(child));
      words.push({ raw: child.text, value: null, pattern: false });
    } else {
      words.push(wordOf(child));
    }
  }
  out.push({ kind: 'command', text: node.text, assignments, words, redirects: [] });
  for (const child of node.namedChildren) {
    if (child?.type === 'variable_assignment') assignmentInsides(child, out);
    else if (child) visit(child, out);
  }
}

function assignmentOf(node: Node): ShellAssignment {
  const name = node.childForFieldName('name');
  const base = name?.type === 'subscript' ? name.childForFieldName('name') : name;
  const value = node.childForFieldName('value');
  const values = !value
    ? ['']
    : value.type === 'array'
      ? value.namedChildren.flatMap((c) => (c ? [wordOf(c).value] : []))
      : [wordOf(value).value];
  return { raw: node.text, name: base?.text ?? node.text, values };
}

function assignmentInsides(node: Node, out: Out): void {
  for (let i = 0; i < node.childCount; i++) {
    const child = node.child(i);
    if (!child?.isNamed) continue;
    if (node.fieldNameForChild(i) === 'name' && child.type === 'variable_name') continue;
    visit(child, out);
  }
}
