import type { Verdict } from '../classes.js';
import { words } from './lists.js';

/** Variables that change which program runs, or what a shell does before it runs anything. */
const STEERING = new Set(
  words(
    'PATH LD_PRELOAD LD_LIBRARY_PATH LD_AUDIT BASH_ENV ENV IFS PROMPT_COMMAND SHELLOPTS BASHOPTS PS4 GLOBIGNORE BASH_LOADABLES_PATH PYTHONPATH PYTHONSTARTUP PERL5LIB PERL5OPT NODE_OPTIONS GIT_SSH_COMMAND GIT_EXEC_PATH PAGER EDITOR VISUAL LESSOPEN',
  ),
);

/** Setting a variable is harmless for a one-off shell, except for those that steer later commands. */
export function assignmentVerdict(name: string): Verdict | null {
  if (STEERING.has(name) || name.startsWith('BASH_FUNC_')) {
    return { class: 'destructive', why: `setting ${name} changes what later commands run` };
  }
  return null;
}
