import { describe, expect, it } from 'vitest';
import { DeckhandError } from '../../src/errors.js';
import { compilePattern, exactPattern } from '../../src/policy/index.js';

const m = (pattern: string, words: string[]) => compilePattern(pattern).matches(words);

describe('patterns: globs over command words', () => {
  it('matches whole word lists, anchored at both ends', () => {
    expect(m('systemctl restart nginx', ['systemctl', 'restart', 'nginx'])).toBe(true);
    expect(m('systemctl restart nginx', ['systemctl', 'restart', 'nginx', 'x'])).toBe(false);
    expect(m('systemctl restart nginx', ['sudo', 'systemctl', 'restart', 'nginx'])).toBe(false);
  });

  it('* stays within one word, ? is one character, ** is any number of words', () => {
    expect(m('systemctl restart *', ['systemctl', 'restart', 'app'])).toBe(true);
    expect(m('systemctl restart *', ['systemctl', 'restart'])).toBe(false);
    expect(m('systemctl restart *', ['systemctl', 'restart', 'a', 'b'])).toBe(false);
    expect(m('journalctl -u app-*', ['journalctl', '-u', 'app-web'])).toBe(true);
    expect(m('ls ?', ['ls', 'ab'])).toBe(false);
    expect(m('rm **', ['rm'])).toBe(true);
    expect(m('rm **', ['rm', '-rf', '/'])).toBe(true);
    expect(m('rm ** -rf **', ['rm', 'x', '-rf', 'y'])).toBe(true);
    expect(m('** rm **', ['sudo', 'rm', 'x'])).toBe(true);
    expect(m('write-file /srv/app/*', ['write-file', '/srv/app/a/b.conf'])).toBe(true);
  });

  it('quotes make one word and keep glob characters literal; a backslash escapes one character', () => {
    expect(m("sh -c 'rm -rf /tmp/x'", ['sh', '-c', 'rm -rf /tmp/x'])).toBe(true);
    expect(m("echo '*'", ['echo', 'anything'])).toBe(false);
    expect(m("echo '*'", ['echo', '*'])).toBe(true);
    expect(m('echo \\*', ['echo', '*'])).toBe(true);
    expect(m('echo "a\\"b"', ['echo', 'a"b'])).toBe(true);
    expect(m("echo '**'", ['echo', '**'])).toBe(true);
    expect(m("echo '**'", ['echo'])).toBe(false);
    expect(m("echo ''", ['echo', ''])).toBe(true);
  });

  it('* matches across newlines inside a word (a script given to sh -c)', () => {
    expect(m('sh -c *', ['sh', '-c', 'ls\nrm x'])).toBe(true);
  });

  it('regex characters in a pattern are literal', () => {
    expect(m('grep a.b', ['grep', 'axb'])).toBe(false);
    expect(m('grep (x)+ [y]', ['grep', '(x)+', '[y]'])).toBe(true);
  });

  it('refuses broken patterns with a message that says what is wrong', () => {
    for (const [bad, says] of [
      ['', 'at least one word'],
      ['   ', 'at least one word'],
      ["echo 'open", 'unclosed'],
      ['echo \\', 'lone backslash'],
      ['x'.repeat(501), 'longer than'],
      [Array.from({ length: 65 }, () => 'w').join(' '), 'more than 64 words'],
    ] as const) {
      expect(() => compilePattern(bad), bad).toThrow(DeckhandError);
      expect(() => compilePattern(bad)).toThrow(says);
    }
  });

  it('is not slowed down by many ** (no backtracking blow-up)', () => {
    const pattern = compilePattern(Array.from({ length: 30 }, () => '** a').join(' ') + ' b');
    const words = Array.from({ length: 2000 }, () => 'a');
    const started = Date.now();
    expect(pattern.matches(words)).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('exactPattern matches exactly the words it was made from', () => {
    for (const words of [
      ['systemctl', 'restart', 'nginx'],
      ['sh', '-c', "rm -rf '/tmp/x y'"],
      ['echo', '*', '**', '?', ''],
      ['printf', 'a\\b', '"q"'],
    ]) {
      const p = compilePattern(exactPattern(words));
      expect(p.matches(words), exactPattern(words)).toBe(true);
      expect(p.matches([...words, 'more'])).toBe(false);
      expect(p.matches(words.map((w) => w + 'x'))).toBe(false);
    }
  });
});
