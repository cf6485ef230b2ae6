import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideClassified, effectivePolicy } from '../../src/policy/index.js';
import { useRealEngine } from './engine.js';

const real = useRealEngine();

/** Known destructive commands as words; the first is the program. */
const DESTRUCTIVE: readonly (readonly string[])[] = [
  ['rm', '-rf', '/tmp/x'],
  ['rm', 'x'],
  ['rm', '-f', 'a b'],
  ['rmdir', 'd'],
  ['mv', 'a', 'b'],
  ['cp', 'a', 'b'],
  ['dd', 'if=/dev/zero', 'of=/tmp/x'],
  ['shred', '-u', 'x'],
  ['truncate', '-s', '0', 'x'],
  ['touch', 'x'],
  ['mkdir', '-p', 'd'],
  ['ln', '-s', 'a', 'b'],
  ['chmod', '777', 'x'],
  ['chown', 'root', 'x'],
  ['kill', '-9', '1'],
  ['pkill', 'nginx'],
  ['systemctl', 'restart', 'nginx'],
  ['systemctl', 'stop', 'sshd'],
  ['service', 'nginx', 'reload'],
  ['apt-get', 'install', '-y', 'x'],
  ['apt', 'remove', 'x'],
  ['dpkg', '-i', 'x.deb'],
  ['reboot'],
  ['shutdown', '-h', 'now'],
  ['useradd', 'bob'],
  ['passwd', 'root'],
  ['crontab', '-r'],
  ['find', '.', '-delete'],
  ['find', '/srv', '-name', 'x', '-exec', 'rm', '{}', ';'],
  ['sed', '-i', 's/a/b/', 'f'],
  ['tee', 'out.txt'],
  ['docker', 'rm', '-f', 'web'],
  ['docker', 'compose', 'down', '-v'],
  ['git', 'reset', '--hard'],
  ['curl', '-o', 'out', 'http://example.invalid'],
  ['tar', 'xzf', 'a.tgz'],
  ['iptables', '-F'],
  ['mkfs.ext4', '/dev/sdb'],
  ['python3', '-c', 'import os'],
];

/** Read-only commands, for the converse property: harmless disguises keep them read-only. */
const READ_ONLY: readonly (readonly string[])[] = [
  ['ls', '-la'],
  ['cat', '/etc/os-release'],
  ['grep', '-r', 'error', '/var/log'],
  ['systemctl', 'status', 'nginx'],
  ['docker', 'ps', '-a'],
  ['journalctl', '-u', 'app', '-n', '50'],
  ['df', '-h'],
  ['uptime'],
  ['find', '/etc', '-name', '*.conf'],
];

/** bash's single quoting: close, escaped quote, reopen. */
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const octal = (s: string) => `$'${[...s].map((c) => `\\${c.charCodeAt(0).toString(8)}`).join('')}'`;
const hex = (s: string) => `$'${[...s].map((c) => `\\x${c.charCodeAt(0).toString(16)}`).join('')}'`;

/** Ways to write one word that bash reads as the same word. */
const spell = (word: string): fc.Arbitrary<string> => {
  const plain = /^[A-Za-z0-9_./=:{};-]+$/.test(word) && word !== ';' && word !== '{}';
  const options: fc.Arbitrary<string>[] = [fc.constant(sq(word)), fc.constant(`"${word}"`), fc.constant(hex(word))];
  if (plain) {
    options.push(fc.constant(word), fc.constant(`\\${word}`), fc.constant(octal(word)));
    if (word.length > 1) {
      options.push(
        fc.integer({ min: 1, max: word.length - 1 }).map((i) => `${word.slice(0, i)}\\${word.slice(i)}`),
        fc.integer({ min: 1, max: word.length - 1 }).map((i) => `"${word.slice(0, i)}"${word.slice(i)}`),
        fc.integer({ min: 1, max: word.length - 1 }).map((i) => `${word.slice(0, i)}''${word.slice(i)}`),
        fc.integer({ min: 1, max: word.length - 1 }).map((i) => `"${word.slice(0, i)}"\\${word.slice(i)}`),
        fc.integer({ min: 1, max: word.length - 1 }).map((i) => `'${word.slice(0, i)}'$'${word.slice(i)}'`),
      );
    }
  }
  return fc.oneof(...options);
};

/** The program name, possibly by an absolute path bash would find it at. */
const spellProgram = (name: string): fc.Arbitrary<string> =>
  fc.oneof(
    spell(name),
    fc
      .constantFrom('/bin/', '/usr/bin/', '/sbin/', '/usr/sbin/', '/usr/local/bin/', '/bin/../usr/bin/')
      .map((d) => d + name),
  );

const simple = (words: readonly string[]): fc.Arbitrary<string> =>
  fc
    .tuple(spellProgram(words[0]!), ...words.slice(1).map((w) => (w === ';' ? fc.constant('\\;') : spell(w))))
    .map((ws) => ws.join(' '));

/** Prefixes that run the command after them. */
const WRAPPERS = [
  'sudo ',
  'sudo -u app ',
  'sudo -E -- ',
  'env ',
  'env -i PATHX=1 ',
  'env A=1 B=2 ',
  'nice ',
  'nice -n 10 ',
  'timeout 5 ',
  'timeout -s KILL 30 ',
  'nohup ',
  'exec ',
  'command ',
  'builtin exec ',
  'time ',
  'stdbuf -oL ',
  'ionice -c3 ',
  'setsid ',
  'doas ',
  'FOO=bar ',
  'A=1 B="two words" ',
] as const;

/** A generated command line, and whether it is still one simple command (so a prefix like sudo may go in front). */
interface Line {
  readonly cmd: string;
  readonly simple: boolean;
}

const line = (cmd: string, simple: boolean): Line => ({ cmd, simple });

/** Ways to bury a command inside another command line. */
const bury = ({ cmd, simple }: Line): fc.Arbitrary<Line> => {
  const ways: fc.Arbitrary<Line>[] = [
    fc.constant(line(cmd, simple)),
    fc.constant(line(`sh -c ${sq(cmd)}`, true)),
    fc.constant(line(`bash -c ${sq(cmd)}`, true)),
    fc.constant(line(`bash -lc ${sq(cmd)}`, true)),
    fc.constant(line(`sudo sh -c ${sq(cmd)}`, true)),
    fc.constant(line(`eval ${sq(cmd)}`, true)),
    fc.constant(line(`su -c ${sq(cmd)}`, true)),
    fc.constant(line(`echo "$( ${cmd} )"`, true)),
    fc.constant(line(`echo \`${cmd.replace(/[\\`$]/g, '\\$&')}\``, true)),
    fc.constant(line(`x=$( ${cmd} )`, false)),
    fc.constant(line(`ls; ${cmd}`, false)),
    fc.constant(line(`true && ${cmd}`, false)),
    fc.constant(line(`false || ${cmd}`, false)),
    fc.constant(line(`ls | ${cmd}`, false)),
    fc.constant(line(`( ${cmd} )`, false)),
    fc.constant(line(`{ ${cmd}; }`, false)),
    fc.constant(line(`if true; then ${cmd}; fi`, false)),
    fc.constant(line(`for i in 1; do ${cmd}; done`, false)),
  ];
  // Prefixes and redirects belong to a simple command; in front of `{ …; }` they would not be bash.
  if (simple) {
    // After `A=1 cmd`, a wrapper in front would run the program "A=1"; only more assignments or sudo fit there.
    const fits = /^[A-Za-z_][A-Za-z0-9_]*=/.test(cmd) ? WRAPPERS.filter((w) => /^(?:[A-Z]+=|sudo )/.test(w)) : WRAPPERS;
    ways.push(
      fc.constantFrom(...fits).map((w) => line(w + cmd, true)),
      fc.constant(line(`${cmd} 2>/dev/null`, true)),
    );
  }
  return fc.oneof(...ways);
};

/** Up to three layers of burying, e.g. `sudo sh -c 'env A=1 /bin/r\m -rf /tmp/x'`. */
const buried = (base: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  base
    .map((cmd) => line(cmd, true))
    .chain(bury)
    .chain((l) => fc.oneof(fc.constant(l), bury(l)))
    .chain((l) => fc.oneof(fc.constant(l), bury(l)))
    .map((l) => l.cmd);

const destructiveVariant = fc.constantFrom(...DESTRUCTIVE).chain((words) => buried(simple(words)));

/** xargs takes the command from stdin's side of a pipe. */
const xargsVariant = fc
  .constantFrom(...DESTRUCTIVE.filter((w) => w.length > 1))
  .chain((words) => simple(words).map((c) => `printf 'x\\n' | xargs ${c}`));

/** Output written to a file, disguised the same ways. */
const redirectVariant = fc
  .tuple(
    fc.constantFrom('>', '>>', '>|', '&>', '2>', '1>'),
    spell('out.txt'),
    fc.constantFrom('echo x', 'ls', 'cat /etc/hosts'),
  )
  .chain(([op, file, cmd]) => buried(fc.constant(`${cmd} ${op}${file}`)));

/**
 * Which command lines bash accepts (`bash -n`: parsed, never run), for many at once: one bash reads them all and
 * checks each with `bash -n -c` of its own, so the test pays a fork per case instead of a Node spawn (one
 * execFileSync per case took most of this file's time: 900 spawns, tens of ms each under load). Never `eval`:
 * a line that is not bash could close a wrapper early and run the destructive command it holds.
 */
function bashAcceptsAll(commands: readonly string[]): boolean[] {
  const script = `while IFS= read -r -d '' c; do
  if bash -n -c "$c" 2>/dev/null; then echo 1; else echo 0; fi
done`;
  const out = execFileSync('bash', ['-c', script], { input: commands.map((c) => `${c}\0`).join('') }).toString();
  const verdicts = out.split('\n').filter(Boolean);
  expect(verdicts).toHaveLength(commands.length);
  return verdicts.map((v) => v === '1');
}

/** Every command a property saw is real bash (checked once the property has run: one bash for all of them). */
function expectAllBash(commands: readonly string[]): void {
  const ok = bashAcceptsAll(commands);
  expect(commands.filter((_, i) => !ok[i])).toEqual([]);
}

describe('generated variants of destructive commands are never read-only', () => {
  it('the bash check tells real bash from what is not', () => {
    expect(
      bashAcceptsAll([
        'ls -la',
        "sh -c 'rm x'",
        'echo "$( rm x )"',
        'ls (',
        'echo "open',
        'if true; then ls',
        'echo $(',
        "ls '",
        '}',
      ]),
    ).toEqual([true, true, true, false, false, false, false, false, false]);
  });

  it(
    'holds for 600 variants: quoting, escapes, absolute paths, env prefixes, wrappers, sh -c, substitutions',
    { timeout: 180_000 },
    () => {
      const seen: string[] = [];
      fc.assert(
        fc.property(
          fc.oneof(
            { weight: 6, arbitrary: destructiveVariant },
            { weight: 2, arbitrary: redirectVariant },
            xargsVariant,
          ),
          (command) => {
            // Each variant is real bash (checked below), and deckhand reads it rather than failing closed on something
            // it cannot parse; the one known gap: tree-sitter-bash cannot read an escaped \$( inside backquotes, which
            // fails closed.
            seen.push(command);
            const c = real.classifier.classify(command);
            if (!/`[^`]*\\\$/.test(command)) {
              expect(
                c.parts.every((p) => p.readable),
                `${command}\n${c.reasons.join('\n')}`,
              ).toBe(true);
            }
            expect(c.class, command).not.toBe('read-only');
          },
        ),
        { numRuns: 600 },
      );
      expect(seen.length).toBeGreaterThanOrEqual(600);
      expectAllBash(seen);
    },
  );

  it('a deny pattern on rm catches rm however it is written or wrapped', { timeout: 180_000 }, () => {
    const policy = effectivePolicy({ mode: 'open', deny: ['rm **'] }, {});
    const seen: string[] = [];
    fc.assert(
      fc.property(
        fc.constantFrom(...DESTRUCTIVE.filter((w) => w[0] === 'rm')).chain((words) => buried(simple(words))),
        (command) => {
          seen.push(command);
          const action = real.engine.classify({ kind: 'command', command }, {});
          const d = decideClassified({
            action,
            server: 's',
            layers: [{ label: 'server s', policy }],
            grants: [],
            now: new Date(),
          });
          expect(d.decision, command).toBe('deny');
        },
      ),
      { numRuns: 300 },
    );
    expect(seen.length).toBeGreaterThanOrEqual(300);
    expectAllBash(seen);
  });

  it('harmless disguises of read-only commands stay read-only (the guard rail does not block the reading it is for)', () => {
    const harmless = (cmd: string) =>
      fc.oneof(
        fc.constant(cmd),
        fc
          .constantFrom('nice ', 'timeout 10 ', 'env LC_ALL=C ', 'command ', 'LANG=C ', 'stdbuf -oL ')
          .map((w) => w + cmd),
        fc.constant(`sh -c ${sq(cmd)}`),
        fc.constant(`${cmd} 2>/dev/null | head -n 20`),
        fc.constant(`echo "$(${cmd})"`),
      );
    fc.assert(
      fc.property(
        fc.constantFrom(...READ_ONLY).chain((words) => simple(words).chain(harmless)),
        (command) => {
          const c = real.classifier.classify(command);
          expect({ command, class: c.class, reasons: c.reasons }).toEqual({ command, class: 'read-only', reasons: [] });
        },
      ),
      { numRuns: 300 },
    );
  });
});
