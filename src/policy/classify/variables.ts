import type { Verdict } from '../classes.js';
import { words } from './lists.js';

/** Variables that change which program runs, or what a shell does before it runs anything. */
const STEERING = new Set(
  words(
    'PATH LD_PRELOAD LD_LIBRARY_PATH LD_AUDIT BASH_ENV ENV IFS PROMPT_COMMAND SHELLOPTS BASHOPTS PS4 GLOBIGNORE BASH_LOADABLES_PATH PYTHONPATH PYTHONSTARTUP PERL5LIB PERL5OPT NODE_OPTIONS GIT_SSH_COMMAND GIT_EXEC_PATH PAGER EDITOR VISUAL LESSOPEN',
  ),
);

/**
 * Setting a variable is harmless for a one-off shell, except for those that steer later commands, and a value that
 * holds `$(…)` or backquotes as text: bash runs it when the variable is used in arithmetic (`$((x))` with
 * x='a[$(cmd)]'), in `${x@P}` or in eval.
 */
export function assignmentVerdicts(a: {
  readonly name: string;
  readonly values?: readonly (string | null)[];
}): Verdict[] {
  const out: Verdict[] = [];
  const named = assignmentVerdict(a.name);
  if (named) out.push(named);
  if (a.values?.some((v) => v !== null && /\$\(|`/.test(v))) {
    out.push({
      class: 'destructive',
      why: `the value given to ${a.name} holds a command as text, which bash may run later`,
    });
  }
  return out;
}

/** A variable whose name alone makes setting it destructive. */
export function assignmentVerdict(name: string): Verdict | null {
  if (STEERING.has(name) || name.startsWith('BASH_FUNC_')) {
    return { class: 'destructive', why: `setting ${name} changes what later commands run` };
  }
  return null;
}
