import type { ActionClass, Verdict } from '../classes.js';
import type { ShellWord } from '../shell/types.js';

/** What one command rule found out about a simple command. */
export interface Finding {
  readonly verdicts: readonly Verdict[];
  /** A wrapper (sudo, env, xargs, …): the command it runs, looked at next as part of the same command. */
  readonly inner?: readonly ShellWord[];
  /** The inner command gets arguments deckhand cannot see (xargs feeds it its input). */
  readonly extraArgs?: boolean;
  /** Scripts the command runs (`sh -c`, `su -c`, `eval`, `trap`, `env -S`); each is parsed and checked as well. */
  readonly scripts?: readonly ShellWord[];
  /** Commands the command runs (`find -exec`); each is checked as well, with arguments it cannot see. */
  readonly commands?: readonly (readonly ShellWord[])[];
}

export interface RuleContext {
  /** The command name as policy sees it (`rm` for `/bin/rm`, `\rm` or `'rm'`). */
  readonly name: string;
  /** Arguments not in the source will be added (the command runs under xargs or find -exec). */
  readonly extraArgs: boolean;
}

export type CommandRule = (args: readonly ShellWord[], ctx: RuleContext) => Finding;

export function verdict(cls: ActionClass, why: string): Finding {
  return { verdicts: [{ class: cls, why }] };
}

export const reads = (name: string): Finding => verdict('read-only', `${name} only reads`);

/** The value of a word, or its source when an expansion decides it. */
export function shown(w: ShellWord): string {
  return w.value ?? w.raw;
}

/** A word whose value the classifier cannot be sure of: an expansion, or a glob that may turn into other words. */
export function uncertain(w: ShellWord): boolean {
  return w.value === null || w.pattern;
}

/** A rule that reads unless `writes` returns why it does not; uncertain words and unseen arguments count as writing. */
export function readsUnless(
  check: (args: readonly ShellWord[], name: string) => Verdict | null,
  opts: { uncertainArgs?: 'fine' | 'unsafe' } = {},
): CommandRule {
  return (args, ctx) => {
    const unsafeUnknowns = (opts.uncertainArgs ?? 'unsafe') === 'unsafe';
    if (unsafeUnknowns && ctx.extraArgs) {
      return verdict(
        'destructive',
        `${ctx.name} gets arguments from its input, and some of ${ctx.name}'s options write`,
      );
    }
    const vague = unsafeUnknowns ? args.find(uncertain) : undefined;
    if (vague) {
      return verdict(
        'destructive',
        `${ctx.name}'s argument ${vague.raw} is decided at run time, and some of its options write`,
      );
    }
    return { verdicts: [check(args, ctx.name) ?? { class: 'read-only', why: `${ctx.name} only reads` }] };
  };
}

/** A word the input is written into is no longer known. */
export function withInput(w: ShellWord, marker: string): ShellWord {
  return w.value !== null && w.value.includes(marker) ? { raw: w.raw, value: null, pattern: false } : w;
}
