import type { Verdict } from '../classes.js';
import { words } from './lists.js';
import { hasOption, optionValue, scanOptions, type OptionSpec } from './options.js';
import { shown, verdict, withInput, type CommandRule } from './rule.js';
import { assignmentVerdict } from './variables.js';
import { none, readsAlone, unknownOptions, wrapper } from './wrapper-kit.js';

/**
 * Commands that run another command: deckhand looks through them to the command they run. Each reads its own
 * options exactly; an option it does not know makes the whole command destructive rather than a guess.
 * sudo and the other ways to change user are in rules-privilege.ts.
 */

const ENV: OptionSpec = {
  flags: 'i0v',
  valued: 'uCS',
  longFlags: ['ignore-environment', 'null', 'debug', 'list-signal-handling'],
  longValued: words('unset chdir split-string block-signal default-signal ignore-signal'),
  assignments: true,
};

const env: CommandRule = (args, ctx) => {
  const cleaned = args.map((w) => (w.value === '-' ? { ...w, value: '-i' } : w));
  const scanned = scanOptions(cleaned, ENV);
  if (scanned.problem) return unknownOptions(ctx.name, scanned);
  const verdicts = scanned.assignments.map(assignmentVerdict).filter((v): v is Verdict => v !== null);
  const split = optionValue(scanned, 'S', 'split-string');
  const inner = args.slice(scanned.operandAt);
  if (split !== undefined) {
    // -S splits its string into the command and its first arguments; read it as a script with the rest appended.
    const joined = [split, ...inner.map((w) => w.raw)].join(' ');
    return {
      verdicts,
      scripts: [{ raw: joined, value: inner.every((w) => w.value !== null) ? joined : null, pattern: false }],
    };
  }
  if (inner.length === 0)
    return { verdicts: [...verdicts, { class: 'read-only', why: `${ctx.name} alone prints the environment` }] };
  return { verdicts, inner, extraArgs: ctx.extraArgs };
};

const nice = wrapper(
  { valued: 'n', longValued: ['adjustment'], numeric: true },
  none,
  readsAlone('prints the niceness'),
);
const nohup = wrapper({}, none, (n) => ({ class: 'destructive', why: `${n} without a command` }));
const stdbuf = wrapper({ valued: 'ioe', longValued: ['input', 'output', 'error'] }, none, (n) => ({
  class: 'destructive',
  why: `${n} without a command`,
}));
const setsid = wrapper({ flags: 'cfw', longFlags: ['ctty', 'fork', 'wait'] }, none, (n) => ({
  class: 'destructive',
  why: `${n} without a command`,
}));
const builtin = wrapper({}, none, readsAlone('does nothing'));
const exec = wrapper({ flags: 'cl', valued: 'a' }, none, readsAlone('only applies its redirects'));
const busybox = wrapper({}, none, readsAlone('lists its applets'));

const ionice = wrapper(
  { flags: 'tu', valued: 'cnpPu', longFlags: ['ignore'], longValued: ['class', 'classdata', 'pid', 'pgid', 'uid'] },
  (s, n) =>
    hasOption(s, 'p', 'P', 'u', 'pid', 'pgid', 'uid')
      ? { class: 'destructive', why: `${n} changes the I/O priority of running processes` }
      : null,
  readsAlone('prints the I/O priority'),
);

const command: CommandRule = (args, ctx) => {
  const scanned = scanOptions(args, { flags: 'pvV' });
  if (scanned.problem) return unknownOptions(ctx.name, scanned);
  if (hasOption(scanned, 'v', 'V')) return verdict('read-only', `${ctx.name} -v only looks a command up`);
  const inner = args.slice(scanned.operandAt);
  if (inner.length === 0) return verdict('read-only', `${ctx.name} alone does nothing`);
  return { verdicts: [], inner, extraArgs: ctx.extraArgs };
};

/** bash's `time` keyword takes -p; /usr/bin/time can also write its report to a file. */
const time = wrapper(
  {
    flags: 'pvqa',
    valued: 'fo',
    longFlags: ['portability', 'verbose', 'quiet', 'append'],
    longValued: ['format', 'output'],
  },
  (s, n) => {
    const out = optionValue(s, 'o', 'output');
    return out === undefined ? null : { class: 'destructive', why: `${n} -o writes its report to ${out}` };
  },
  readsAlone('does nothing'),
);

/** timeout's first operand is the duration; the command follows it. */
const timeout: CommandRule = (args, ctx) => {
  const scanned = scanOptions(args, {
    flags: 'v',
    valued: 'sk',
    longFlags: ['foreground', 'preserve-status', 'verbose'],
    longValued: ['signal', 'kill-after'],
  });
  if (scanned.problem) return unknownOptions(ctx.name, scanned);
  const inner = args.slice(scanned.operandAt + 1);
  if (inner.length === 0) return verdict('read-only', `${ctx.name} without a command does nothing`);
  return { verdicts: [], inner, extraArgs: ctx.extraArgs };
};

const XARGS: OptionSpec = {
  flags: '0oprtxiel',
  valued: 'adEILnPs',
  longFlags: words('null open-tty interactive no-run-if-empty verbose exit show-limits replace'),
  longValued: words('arg-file delimiter eof max-lines max-args max-procs max-chars process-slot-var'),
};
const xargs = wrapper(XARGS, none, readsAlone('echoes its input'));

/**
 * xargs hands its input to the command as arguments the source does not show; with -I (or -i) it also writes the
 * input into any word holding the replace string, so such words are unknown (`xargs -I{} sh -c "cat {}"`).
 */
const xargsWithInput: CommandRule = (args, ctx) => {
  const found = xargs(args, ctx);
  if (!found.inner) return found;
  const scanned = scanOptions(args, XARGS);
  const replace = optionValue(scanned, 'I') ?? (hasOption(scanned, 'i', 'replace') ? '{}' : undefined);
  const inner = replace === undefined ? found.inner : found.inner.map((w) => withInput(w, replace));
  return { ...found, inner, extraArgs: true };
};

const SHELL: OptionSpec = {
  flags: 'abcefhiklmnprstuvxBCEHPT',
  valued: 'oO',
  longFlags: words(
    'login norc noprofile posix restricted verbose noediting debugger dump-strings dump-po-strings pretty-print',
  ),
  longValued: ['rcfile', 'init-file'],
  plus: true,
};

/** sh -c 'script' runs the script, which is parsed and checked in turn; sh alone runs whatever its input says. */
const shell: CommandRule = (args, ctx) => {
  const scanned = scanOptions(args, SHELL);
  if (scanned.problem) return unknownOptions(ctx.name, scanned);
  if (hasOption(scanned, 'c')) {
    const script = args[scanned.operandAt];
    if (!script) return verdict('destructive', `${ctx.name} -c without a script`);
    return { verdicts: [], scripts: [script] };
  }
  const file = args[scanned.operandAt];
  if (file && !hasOption(scanned, 's'))
    return verdict('destructive', `${ctx.name} runs the script file ${shown(file)}, which deckhand cannot see`);
  return verdict('destructive', `${ctx.name} runs whatever commands its input holds`);
};

/** eval joins its arguments into a script. */
const evalRule: CommandRule = (args, ctx) => {
  if (args.length === 0) return verdict('read-only', `${ctx.name} alone does nothing`);
  const joined = args.map(shown).join(' ');
  return {
    verdicts: [],
    scripts: [{ raw: joined, value: args.every((w) => w.value !== null) ? joined : null, pattern: false }],
  };
};

/** trap ACTION SIGNAL… runs ACTION later in this shell. */
const trap: CommandRule = (args, ctx) => {
  const first = args[0];
  if (!first || ['-l', '-p', '-', '--'].includes(first.value ?? '') || first.value === '' || args.length === 1) {
    return verdict('read-only', `${ctx.name} only lists or resets signal handlers`);
  }
  return { verdicts: [], scripts: [first] };
};

const source: CommandRule = (args, ctx) =>
  verdict(
    'destructive',
    `${ctx.name} runs the script file ${args[0] ? shown(args[0]) : ''}, which deckhand cannot see`.trimEnd(),
  );

export const WRAPPER_RULES: ReadonlyMap<string, CommandRule> = new Map<string, CommandRule>([
  ['env', env],
  ['nice', nice],
  ['ionice', ionice],
  ['nohup', nohup],
  ['stdbuf', stdbuf],
  ['setsid', setsid],
  ['builtin', builtin],
  ['exec', exec],
  ['busybox', busybox],
  ['command', command],
  ['time', time],
  ['timeout', timeout],
  ['xargs', xargsWithInput],
  ['sh', shell],
  ['bash', shell],
  ['dash', shell],
  ['ash', shell],
  ['zsh', shell],
  ['ksh', shell],
  ['mksh', shell],
  ['eval', evalRule],
  ['trap', trap],
  ['source', source],
  ['.', source],
]);
