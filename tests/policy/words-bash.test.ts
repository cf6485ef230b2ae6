import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShellParser, loadBashGrammar, type BashGrammar, type ShellParser } from '../../src/policy/index.js';

let grammar: BashGrammar;
let parser: ShellParser;
beforeAll(async () => {
  grammar = await loadBashGrammar();
  parser = createShellParser(grammar);
});
afterAll(() => grammar.close());

/** Ways to write a string as one bash word. */
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const dq = (s: string) => `"${s.replace(/[\\"$`]/g, '\\$&')}"`;
// A word that starts with `\ ` is one tree-sitter-bash reads differently, and the parser refuses it (shell.test.ts).
const bs = (s: string) => s.replace(/[^A-Za-z0-9]/g, '\\$&').replace(/^\\ /, "' '");
const hex = (s: string) =>
  `$'${[...Buffer.from(s, 'latin1')].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}'`;
const oct = (s: string) =>
  `$'${[...Buffer.from(s, 'latin1')].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('')}'`;
const mixed = (s: string) => [...s].map((c, i) => [sq, dq, bs, hex][i % 4]!(c)).join('');

describe('words are unquoted exactly as bash does it', () => {
  it('agrees with bash on 400 generated spellings', () => {
    // Printable ASCII without newline (bash drops a backslash-newline, and words stay on one line here).
    const text = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      minLength: 1,
      maxLength: 12,
    });
    const cases = fc.sample(fc.tuple(text, fc.constantFrom(sq, dq, bs, hex, oct, mixed)), { numRuns: 400, seed: 18 });
    const words = cases.map(([s, spell]) => spell(s));
    const line = `printf '%s\\0' ${words.join(' ')}`;
    const fromBash = execFileSync('bash', ['-c', line], { encoding: 'latin1' }).split('\0').slice(0, -1);
    expect(fromBash).toEqual(cases.map(([s]) => s));

    const units = parser.parse(line).units;
    expect(units).toHaveLength(1);
    const unit = units[0]!;
    if (unit.kind !== 'command') throw new Error(`expected a command, got ${JSON.stringify(unit)}`);
    expect(unit.words.slice(2).map((w) => w.value)).toEqual(fromBash);
  });
});
