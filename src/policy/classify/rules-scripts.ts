import type { ShellWord } from '../shell/types.js';
import { verdict, withInput, type CommandRule } from './rule.js';
import { sedScriptProblem } from './sed-script.js';

/** find, sed and awk: read-only tools that can also delete, write or run commands, depending on their arguments. */

const FIND_WRITES: ReadonlyMap<string, string> = new Map([
  ['-delete', 'deletes what it finds'],
  ['-fprint', 'writes its results to a file'],
  ['-fprint0', 'writes its results to a file'],
  ['-fprintf', 'writes its results to a file'],
  ['-fls', 'writes its results to a file'],
]);
const FIND_RUNS = new Set(['-exec', '-execdir', '-ok', '-okdir']);

const find: CommandRule = (args, ctx) => {
  if (ctx.extraArgs)
    return verdict('destructive', `${ctx.name} gets arguments from its input, which may include -delete`);
  const commands: ShellWord[][] = [];
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    if (w.value === null)
      return verdict('destructive', `${ctx.name}'s argument ${w.raw} is decided at run time and may be -delete`);
    if (w.pattern) {
      return verdict(
        'destructive',
        `${ctx.name}'s argument ${w.raw} is an unquoted pattern the shell expands first; quote it`,
      );
    }
    const write = FIND_WRITES.get(w.value);
    if (write) return verdict('destructive', `${ctx.name} ${w.value} ${write}`);
    if (FIND_RUNS.has(w.value)) {
      const end = args.findIndex((a, k) => k > i && (a.value === ';' || a.value === '+'));
      if (end < 0) return verdict('destructive', `${ctx.name} ${w.value} has no closing ";" or "+"`);
      // GNU find writes each path into every word holding {}, even inside `sh -c 'echo {}'`.
      commands.push(args.slice(i + 1, end).map((a) => withInput(a, '{}')));
      i = end;
    }
  }
  const runs = commands.length > 0 ? ' and runs a command on each result' : '';
  return { verdicts: [{ class: 'read-only', why: `${ctx.name} only reads${runs}` }], commands };
};

const sed: CommandRule = (args, ctx) => {
  if (ctx.extraArgs) return verdict('destructive', `${ctx.name} gets arguments from its input, which may include -i`);
  const scripts: string[] = [];
  let sandbox = false;
  let operands = 0;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    const v = w.value;
    if (v === null) return verdict('destructive', `${ctx.name}'s argument ${w.raw} is decided at run time`);
    if (v.startsWith('--')) {
      const [name, value] = splitLong(v);
      if (name === 'in-place') return verdict('destructive', `${ctx.name} ${v} edits files in place`);
      if (name === 'file') return verdict('destructive', `${ctx.name} ${v} runs a script file deckhand cannot see`);
      if (name === 'sandbox') sandbox = true;
      else if (name === 'expression') {
        const script = value ?? args[++i]?.value;
        if (script === undefined || script === null)
          return verdict('destructive', `${ctx.name}'s script is decided at run time`);
        scripts.push(script);
      } else if (name === 'line-length' && value === undefined) i++;
      continue;
    }
    if (v.startsWith('-') && v.length > 1) {
      for (let k = 1; k < v.length; k++) {
        const letter = v[k]!;
        if (letter === 'i') return verdict('destructive', `${ctx.name} -i edits files in place`);
        if (letter === 'f') return verdict('destructive', `${ctx.name} -f runs a script file deckhand cannot see`);
        if (letter === 'e' || letter === 'l') {
          const value = v.slice(k + 1) || args[++i]?.value;
          if (letter === 'e') {
            if (value === undefined || value === null)
              return verdict('destructive', `${ctx.name}'s script is decided at run time`);
            scripts.push(value);
          }
          break;
        }
        if (!'nErsuzb'.includes(letter))
          return verdict('destructive', `${ctx.name}'s option -${letter} is not one deckhand knows`);
      }
      continue;
    }
    operands++;
    if (scripts.length === 0 && operands === 1) scripts.push(v);
  }
  if (!sandbox) {
    for (const script of scripts) {
      const problem = sedScriptProblem(script);
      if (problem) return verdict('destructive', problem);
    }
  }
  return verdict('read-only', `${ctx.name} only reads and prints`);
};

/** awk can write files (`print > f`), pipe to commands and call system(); any of those marks, and the program counts as destructive. */
const awk: CommandRule = (args, ctx) => {
  if (ctx.extraArgs) return verdict('destructive', `${ctx.name} gets arguments from its input`);
  const programs: string[] = [];
  let sandbox = false;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    const v = w.value;
    if (v === null) return verdict('destructive', `${ctx.name}'s argument ${w.raw} is decided at run time`);
    if (v === '--') {
      if (programs.length === 0 && args[i + 1]?.value) programs.push(args[i + 1]!.value!);
      break;
    }
    if (v.startsWith('--')) {
      const [name, value] = splitLong(v);
      if (name === 'sandbox') sandbox = true;
      else if (name === 'source') programs.push(value ?? args[++i]?.value ?? '>');
      else if (name === 'field-separator' || name === 'assign') i += value === undefined ? 1 : 0;
      else return verdict('destructive', `${ctx.name}'s option ${v} is not one deckhand checks`);
      continue;
    }
    if (v.startsWith('-') && v.length > 1) {
      const letter = v[1]!;
      if (letter === 'S') sandbox = true;
      else if (letter === 'F' || letter === 'v') i += v.length === 2 ? 1 : 0;
      else if (letter === 'e') programs.push(v.slice(2) || (args[++i]?.value ?? '>'));
      else if (letter === 'f' || letter === 'E')
        return verdict('destructive', `${ctx.name} -${letter} runs a program file deckhand cannot see`);
      else return verdict('destructive', `${ctx.name}'s option -${letter} is not one deckhand checks`);
      continue;
    }
    if (programs.length === 0) programs.push(v);
    break;
  }
  if (programs.length === 0) return verdict('destructive', `${ctx.name} without a program`);
  if (!sandbox) {
    for (const program of programs) {
      const mark = /system\s*\(|\||>|\bclose\s*\(|\bfflush\s*\(/.exec(program);
      if (mark)
        return verdict(
          'destructive',
          `the ${ctx.name} program contains "${mark[0]}", so it may write files or run commands`,
        );
    }
  }
  return verdict('read-only', `${ctx.name} only reads and prints`);
};

function splitLong(v: string): [string, string | undefined] {
  const eq = v.indexOf('=');
  return eq > 0 ? [v.slice(2, eq), v.slice(eq + 1)] : [v.slice(2), undefined];
}

export const SCRIPT_RULES: ReadonlyMap<string, CommandRule> = new Map<string, CommandRule>([
  ['find', find],
  ['sed', sed],
  ['gsed', sed],
  ['awk', awk],
  ['gawk', awk],
  ['mawk', awk],
  ['nawk', awk],
]);
