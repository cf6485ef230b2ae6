import type { Verdict } from '../classes.js';
import type { ShellWord } from '../shell/types.js';
import { hasOption, scanOptions } from './options.js';
import { isHarmlessTarget, systemDirOf } from './paths.js';
import { readsUnless, shown, verdict, type CommandRule } from './rule.js';
import { words } from './lists.js';

/** Tools that read, except with the options or operands that make them write a file. */

function writesTo(name: string, file: string, how: string): Verdict {
  const dir = systemDirOf(file);
  return dir
    ? { class: 'privileged', why: `${name} ${how} ${file}, under ${dir}` }
    : { class: 'destructive', why: `${name} ${how} ${file}` };
}

/** sort -o FILE writes; --compress-program runs a program. */
const sort = readsUnless((args, name) => {
  for (let i = 0; i < args.length; i++) {
    const v = args[i]!.value!;
    if (v.startsWith('--output'))
      return writesTo(name, v.split('=')[1] ?? shown(args[i + 1] ?? args[i]!), 'writes its output to');
    if (v.startsWith('--compress-program')) return { class: 'destructive', why: `${name} ${v} runs a program` };
    if (/^-[^-]/.test(v)) {
      // Short options up to the first that takes a value; -o's value is the rest of the word or the next one.
      const m = /^-[bcdfghiMmnRrsuVz]*([ktSTo])(.*)$/.exec(v);
      if (m?.[1] === 'o') return writesTo(name, m[2] || shown(args[i + 1] ?? args[i]!), 'writes its output to');
      if (m && !m[2]) i++;
    }
  }
  return null;
});

/** Operands of a command, skipping options and the values of those named in `valued`. */
function operands(args: readonly ShellWord[], valued: string): string[] {
  const out: string[] = [];
  let options = true;
  for (let i = 0; i < args.length; i++) {
    const v = args[i]!.value!;
    if (options && v === '--') {
      options = false;
      continue;
    }
    if (options && /^-./.test(v)) {
      if (/^-[a-zA-Z]$/.test(v) && valued.includes(v[1]!)) i++;
      continue;
    }
    out.push(v);
  }
  return out;
}

/** uniq IN OUT writes OUT. */
const uniq = readsUnless((args, name) => {
  const files = operands(args, 'fsw');
  return files.length >= 2 ? writesTo(name, files[1]!, 'writes its output to') : null;
});

/** xxd IN OUT writes OUT. */
const xxd = readsUnless((args, name) => {
  const files = operands(args, 'cglosn');
  return files.length >= 2 ? writesTo(name, files[1]!, 'writes its output to') : null;
});

/** tee copies its input into every file it names. */
const tee: CommandRule = (args, ctx) => {
  const verdicts: Verdict[] = [];
  for (const w of args) {
    if (w.value === null || w.pattern)
      verdicts.push({ class: 'destructive', why: `${ctx.name} writes to a file named at run time (${w.raw})` });
    else if (!w.value.startsWith('-') && !isHarmlessTarget(w.value))
      verdicts.push(writesTo(ctx.name, w.value, 'writes to'));
  }
  if (ctx.extraArgs) verdicts.push({ class: 'destructive', why: `${ctx.name} gets file names from its input` });
  return {
    verdicts:
      verdicts.length > 0 ? verdicts : [{ class: 'read-only', why: `${ctx.name} only copies its input to its output` }],
  };
};

const TAR_WRITE_MODES: Readonly<Record<string, string>> = {
  c: 'creates',
  x: 'extracts',
  r: 'appends to',
  u: 'updates',
  A: 'appends to',
};
const TAR_LONG_WRITES = words('create extract get append update catenate concatenate delete');
const TAR_LONG_RUNS = words(
  'to-command use-compress-program info-script new-volume-script checkpoint-action rsh-command rmt-command',
);
const TAR_VALUED = 'bCfFgHIKLNTVX';

/** tar only reads when it lists (t) or compares (d) and runs no helper program. */
const tar = readsUnless((args, name) => {
  let lists = false;
  for (let i = 0; i < args.length; i++) {
    const v = args[i]!.value!;
    if (v.startsWith('--')) {
      const long = v.slice(2).split('=')[0]!;
      if (TAR_LONG_WRITES.includes(long)) return { class: 'destructive', why: `${name} ${v} writes files` };
      if (TAR_LONG_RUNS.includes(long)) return { class: 'destructive', why: `${name} ${v} runs a program` };
      if (long === 'list' || long === 'diff' || long === 'compare') lists = true;
      continue;
    }
    // The first word may be a bundle without a dash: `tar tzf x.tgz`.
    const bundle = v.startsWith('-') ? v.slice(1) : i === 0 ? v : '';
    for (const letter of bundle) {
      const mode = TAR_WRITE_MODES[letter];
      if (mode) return { class: 'destructive', why: `${name} ${v} ${mode} an archive or files` };
      if (letter === 'I' || letter === 'F') return { class: 'destructive', why: `${name} -${letter} runs a program` };
      if (letter === 't' || letter === 'd') lists = true;
      if (TAR_VALUED.includes(letter)) break;
    }
  }
  return lists ? null : { class: 'destructive', why: `${name} without t (list) may write files` };
});

/** crontab -l lists; anything else replaces or edits the table. */
const crontab: CommandRule = (args, ctx) => {
  const scanned = scanOptions(args, { flags: 'lerix', valued: 'u' });
  const lists =
    !scanned.problem &&
    hasOption(scanned, 'l') &&
    !hasOption(scanned, 'e', 'r', 'i') &&
    scanned.operandAt === args.length;
  return lists
    ? verdict('read-only', `${ctx.name} -l only lists the table`)
    : verdict('destructive', `${ctx.name} replaces or edits the cron table`);
};

/** Commands whose whole point is to change files, with the reason shown to a person. */
const FILE_WRITERS: Readonly<Record<string, string>> = {
  rm: 'deletes files',
  rmdir: 'deletes directories',
  unlink: 'deletes a file',
  shred: 'destroys files',
  mv: 'moves or renames files',
  cp: 'copies files over others',
  dd: 'writes raw data',
  truncate: 'cuts files short',
  touch: 'creates files or changes their times',
  mkdir: 'creates directories',
  mktemp: 'creates files',
  ln: 'creates links',
  install: 'copies files into place',
  rsync: 'copies files over others',
  scp: 'copies files',
  chmod: 'changes file modes',
  chown: 'changes file owners',
  chgrp: 'changes file groups',
  chattr: 'changes file attributes',
  setfacl: 'changes file ACLs',
  patch: 'edits files',
  gzip: 'replaces files with compressed ones',
  gunzip: 'replaces files with uncompressed ones',
  bzip2: 'replaces files with compressed ones',
  xz: 'replaces files with compressed ones',
  zip: 'writes an archive',
  unzip: 'extracts files',
  split: 'writes files',
  csplit: 'writes files',
  wget: 'downloads into files',
  vi: 'edits files',
  vim: 'edits files',
  nano: 'edits files',
  emacs: 'edits files',
  ed: 'edits files',
  kill: 'signals processes',
  pkill: 'signals processes',
  killall: 'signals processes',
  logrotate: 'rotates and deletes logs',
  fallocate: 'allocates file space',
};

/** Commands whose path arguments are what they change: one under /etc (or another system directory) is privileged. */
export const PATH_CHANGERS: ReadonlySet<string> = new Set([...Object.keys(FILE_WRITERS), 'sed', 'gsed', 'find', 'tar']);

export const FILE_RULES: ReadonlyMap<string, CommandRule> = new Map<string, CommandRule>([
  ['sort', sort],
  ['uniq', uniq],
  ['xxd', xxd],
  ['tee', tee],
  ['tar', tar],
  ['crontab', crontab],
  ...Object.entries(FILE_WRITERS).map(([name, why]): [string, CommandRule] => [
    name,
    () => verdict('destructive', `${name} ${why}`),
  ]),
]);
