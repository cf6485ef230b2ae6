import type { Verdict } from '../classes.js';
import type { ShellWord } from '../shell/types.js';
import { words } from './lists.js';
import { hasOption, optionValue, scanOptions, type OptionSpec, type ScannedOptions } from './options.js';
import { verdict, type CommandRule } from './rule.js';
import { assignmentVerdict } from './variables.js';
import { privileged, unknownOptions, wrapper } from './wrapper-kit.js';

/** Commands that run another command as another user (or in another root): privileged, and looked through. */

const SUDO: OptionSpec = {
  flags: 'AbEHiKklnPSsVvBN',
  valued: 'CDghprtTuUR',
  longFlags: words(
    'askpass background preserve-env set-home login remove-timestamp reset-timestamp list non-interactive preserve-groups stdin shell version validate bell no-update',
  ),
  longValued: words('close-from chdir group host prompt role type command-timeout other-user user chroot'),
  assignments: true,
};

const sudo: CommandRule = (args, ctx) => {
  const scanned = scanOptions(args, SUDO);
  if (scanned.problem) return unknownOptions(ctx.name, scanned);
  const as = optionValue(scanned, 'u', 'user') ?? 'root';
  const mine: Verdict = { class: 'privileged', why: `${ctx.name} runs it as ${as}` };
  if (hasOption(scanned, 'e'))
    return { verdicts: [mine, { class: 'privileged', why: `${ctx.name} -e edits files as ${as}` }] };
  const inner = args.slice(scanned.operandAt);
  const envs = scanned.assignments.map(assignmentVerdict).filter((v): v is Verdict => v !== null);
  if (inner.length === 0) {
    const shell = hasOption(scanned, 'i', 's', 'login', 'shell');
    return {
      verdicts: [
        mine,
        ...envs,
        { class: 'privileged', why: shell ? `${ctx.name} opens a shell as ${as}` : `${ctx.name} without a command` },
      ],
    };
  }
  return { verdicts: [mine, ...envs], inner, extraArgs: ctx.extraArgs };
};

const sudoedit: CommandRule = (_args, ctx) => verdict('privileged', `${ctx.name} edits files as root`);

const doas = wrapper({ flags: 'nsL', valued: 'uC' }, privileged('runs it as another user'), (n) => ({
  class: 'privileged',
  why: `${n} opens a shell as root`,
}));
const pkexec = wrapper(
  { longFlags: ['disable-internal-agent', 'keep-cwd', 'help', 'version'], longValued: ['user'] },
  privileged('runs it as another user'),
  (n) => ({ class: 'privileged', why: `${n} opens a shell as root` }),
);

/** chroot NEWROOT [COMMAND…]: the command follows the new root. */
const chroot: CommandRule = (args, ctx) => {
  const scanned = scanOptions(args, { longFlags: ['skip-chdir'], longValued: ['userspec', 'groups'] });
  if (scanned.problem) return unknownOptions(ctx.name, scanned);
  const mine: Verdict = { class: 'privileged', why: `${ctx.name} runs it in another root directory` };
  const inner = args.slice(scanned.operandAt + 1);
  if (inner.length === 0)
    return { verdicts: [mine, { class: 'privileged', why: `${ctx.name} opens a shell in another root` }] };
  return { verdicts: [mine], inner, extraArgs: ctx.extraArgs };
};

/** su and runuser run a shell as another user, or the `-c` string in one. */
const SU: OptionSpec = {
  flags: 'lmpPfTh',
  valued: 'cgGsuw',
  longFlags: ['login', 'preserve-environment', 'pty', 'help', 'version'],
  longValued: words('command session-command group supp-group shell user whitelist-environment'),
};

const su: CommandRule = (args, ctx) => {
  const rest = args.filter((w) => w.value !== '-');
  const scanned = scanOptions(rest, SU);
  if (scanned.problem) return unknownOptions(ctx.name, scanned);
  const runAs = optionValue(scanned, 'u', 'user');
  // runuser -u USER CMD… runs CMD directly.
  if (runAs !== undefined && scanned.operandAt < rest.length) {
    const mine: Verdict = { class: 'privileged', why: `${ctx.name} runs it as ${runAs}` };
    return { verdicts: [mine], inner: rest.slice(scanned.operandAt), extraArgs: ctx.extraArgs };
  }
  // su takes its options on either side of the user name: `su - postgres -c '…'`.
  const user = rest[scanned.operandAt];
  const after = user ? scanOptions(rest.slice(scanned.operandAt + 1), SU) : scanned;
  if (after.problem) return unknownOptions(ctx.name, after);
  const name = runAs ?? user?.value ?? 'root';
  const mine: Verdict = { class: 'privileged', why: `${ctx.name} runs as ${name}` };
  const script =
    scriptOption(scanned, ['c', 'command', 'session-command']) ??
    scriptOption(after, ['c', 'command', 'session-command']);
  if (script) return { verdicts: [mine], scripts: [script] };
  return { verdicts: [mine, { class: 'privileged', why: `${ctx.name} opens a shell as ${name}` }] };
};

/** The string given to `-c` (or `--command=`); scanOptions has already refused one built at run time. */
function scriptOption(scanned: ScannedOptions, names: string[]): ShellWord | null {
  const value = optionValue(scanned, ...names);
  return value === undefined ? null : { raw: value, value, pattern: false };
}

export const PRIVILEGE_RULES: ReadonlyMap<string, CommandRule> = new Map<string, CommandRule>([
  ['sudo', sudo],
  ['sudoedit', sudoedit],
  ['doas', doas],
  ['pkexec', pkexec],
  ['su', su],
  ['runuser', su],
  ['chroot', chroot],
]);
