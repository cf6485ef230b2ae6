import type { Node } from 'web-tree-sitter';

/**
 * Where tree-sitter-bash and bash would read a script differently. The parser refuses such a script (so it counts
 * as destructive) rather than classify words bash would never run, or miss words it would.
 */

/** Why a tree with errors cannot be read: the first missing or unexpected piece. */
export function errorNote(root: Node): string {
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.isMissing) return `the shell parser cannot read it: "${n.type}" is missing`;
    if (n.isError) return `the shell parser cannot read it near "${clip(n.text)}"`;
    for (let i = n.childCount - 1; i >= 0; i--) {
      const c = n.child(i);
      if (c?.hasError) stack.push(c);
    }
  }
  return 'the shell parser cannot read it';
}

/** Nodes whose text is quoted: what lies between their children is their content, not blanks. */
const QUOTED = new Set([
  'string',
  'raw_string',
  'ansi_c_string',
  'translated_string',
  'heredoc_body',
  'heredoc_content',
]);

/**
 * tree-sitter-bash skips a backslash before a newline, a space or a tab as if it were blank; bash does not always:
 * `x\<newline>y` is one word `xy`, and `\ a` at the start of a word is the word " a". The text between tokens is
 * where the grammar put what it skipped, so it is checked there: where bash would read other words than the tree,
 * the script is not read at all. A continuation between words, the usual kind, is fine.
 */
export function skippedEscape(root: Node): string | null {
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (QUOTED.has(node.type)) {
      // Quoted text is content, but a `$(…)` inside it is a script of its own and is checked like any other.
      for (const child of node.namedChildren) if (child) stack.push(child);
      continue;
    }
    const source = node.text;
    let prev: Node | null = null;
    let prevField: string | null = null;
    let at = node.startIndex;
    for (let i = 0; i < node.childCount; i++) {
      const child = node.child(i);
      if (!child) continue;
      const field = node.fieldNameForChild(i);
      const problem =
        gapProblem(source.slice(at - node.startIndex, child.startIndex - node.startIndex), prev, child) ??
        touchingProblem(node, prev, prevField, child, field);
      if (problem) return problem;
      stack.push(child);
      prev = child;
      prevField = field;
      at = child.endIndex;
    }
  }
  return null;
}

/** Pieces of words, and assignments, which bash would join when nothing separates them. */
const WORDISH = new Set([
  'word',
  'string',
  'raw_string',
  'ansi_c_string',
  'translated_string',
  'concatenation',
  'simple_expansion',
  'expansion',
  'command_substitution',
  'process_substitution',
  'arithmetic_expansion',
  'number',
  'variable_assignment',
  'command_name',
]);

/**
 * Two word pieces that touch without a concatenation around them: bash reads one word where tree-sitter-bash
 * read two (`x="a"\ls rm` is the assignment x=als and the command rm). A command's own words and a redirect's
 * file name are joined back where they are read; anywhere else the script is not read.
 */
function touchingProblem(
  parent: Node,
  prev: Node | null,
  prevField: string | null,
  child: Node,
  field: string | null,
): string | null {
  if (!prev || prev.endIndex !== child.startIndex || !WORDISH.has(prev.type) || !WORDISH.has(child.type)) return null;
  if (parent.type === 'concatenation') return null;
  const joinable = (f: string | null) => f === 'name' || f === 'argument';
  if (parent.type === 'command' && joinable(prevField) && joinable(field)) return null;
  if (parent.type === 'file_redirect' && prevField === 'destination' && field === 'destination') return null;
  return `"${clip(prev.text + child.text)}" is one word to bash but two to the parser`;
}

function gapProblem(gap: string, before: Node | null, after: Node): string | null {
  if (!gap.includes('\\')) return null;
  const rest = gap.replace(/\\\r?\n/g, '');
  if (rest.includes('\\')) return 'a word that starts with an escaped blank (`\\ `); quote it instead';
  if (rest === '' && before?.isNamed && after.isNamed) {
    return 'a backslash-newline inside a word; put the word on one line';
  }
  return null;
}

function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > 40 ? `${one.slice(0, 40)}…` : one;
}
