import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShellParser, loadBashGrammar, type BashGrammar, type ShellParser } from '../../src/policy/index.js';
import { decodeAnsiC } from '../../src/policy/shell/words.js';

let grammar: BashGrammar;
let parser: ShellParser;
beforeAll(async () => {
  grammar = await loadBashGrammar();
  parser = createShellParser(grammar);
});
afterAll(() => grammar.close());

const commands = (source: string) =>
  parser
    .parse(source)
    .units.filter((u) => u.kind === 'command')
    .map((u) => u.words.map((w) => w.value));

describe('the shell parser (tree-sitter-bash) gives the classifier units', () => {
  it('one unit per simple command, wherever it sits', () => {
    expect(commands('a; b && c || d | e & f')).toEqual([['a'], ['b'], ['c'], ['d'], ['e'], ['f']]);
    expect(commands('(a) ; { b; } ; if c; then d; elif e; then f; else g; fi')).toEqual([
      ['a'],
      ['b'],
      ['c'],
      ['d'],
      ['e'],
      ['f'],
      ['g'],
    ]);
    expect(commands('echo $(a) `b` <(c) "$(d)" ${x:-$(e)}')).toEqual([
      ['echo', null, null, null, null, null],
      ['a'],
      ['b'],
      ['c'],
      ['d'],
      ['e'],
    ]);
  });

  it('removes quotes and escapes the way bash does', () => {
    expect(commands(`\\rm 'a b' "c\\"d" e\\ f $'\\x41\\101\\u00e9\\n' "\\$x" ''`)).toEqual([
      ['rm', 'a b', 'c"d', 'e f', 'AAé\n', '$x', ''],
    ]);
    const [w] = parser.parse('ls *.log {a,b} "*.log"').units.flatMap((u) => (u.kind === 'command' ? [u.words] : []));
    expect(w!.map((x) => x.pattern)).toEqual([false, true, true, false]);
  });

  it('keeps prefix assignments and redirects with their command', () => {
    const [unit] = parser.parse('A=1 B=$(x) ls > out 2>&1 < in').units;
    expect(unit).toMatchObject({
      kind: 'command',
      assignments: [{ name: 'A' }, { name: 'B' }],
      redirects: [
        { op: '>', target: { value: 'out' } },
        { op: '>&', target: { value: '1' } },
        { op: '<', target: { value: 'in' } },
      ],
    });
  });

  it('reads backquotes as bash does, after removing its backslashes', () => {
    // Inside backquotes `\$` is `$`, so eval is handed a script that runs rm (the classifier then reads it).
    expect(commands('echo `eval \'echo "\\$(rm x)"\'`')).toEqual([
      ['echo', null],
      ['eval', 'echo "$(rm x)"'],
    ]);
  });

  it('marks what it cannot read, with the reason', () => {
    expect(parser.parse('echo "open').units).toEqual([
      { kind: 'unreadable', text: 'echo "open', why: expect.stringContaining('cannot read it') },
    ]);
    expect(parser.parse('ab\\\ncd').units[0]).toMatchObject({
      kind: 'unreadable',
      why: expect.stringContaining('backslash-newline'),
    });
    expect(parser.parse('ls \\\n  -la').units[0]).toMatchObject({ kind: 'command' });
    // bash reads `\ ls` as the word " ls"; tree-sitter-bash would skip the escaped blank and read `ls`.
    expect(parser.parse('printf x \\ a').units[0]).toMatchObject({
      kind: 'unreadable',
      why: expect.stringContaining('escaped blank'),
    });
    expect(parser.parse('printf x a\\ b').units[0]).toMatchObject({
      kind: 'command',
      words: [{}, {}, { value: 'a b' }],
    });
  });

  it("decodes $'…' escapes fully", () => {
    expect(decodeAnsiC('\\a\\b\\e\\E\\f\\n\\r\\t\\v\\\\\\\'\\"\\?')).toBe('\x07\b\x1b\x1b\f\n\r\t\v\\\'"?');
    expect(decodeAnsiC('\\0\\7\\101\\1011')).toBe('\0\x07AA1');
    expect(decodeAnsiC('\\x7\\x41g\\u263A\\U0001F600\\cA\\q')).toBe('\x07Ag\u263a\u{1f600}\x01\\q');
  });
});
