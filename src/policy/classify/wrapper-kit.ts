import type { Verdict } from '../classes.js';
import { scanOptions, type OptionSpec, type ScannedOptions } from './options.js';
import { verdict, type CommandRule, type Finding } from './rule.js';
import { assignmentVerdict } from './variables.js';

/** What the rules for wrappers (commands that run another command) share. */

export function unknownOptions(name: string, scanned: ScannedOptions): Finding {
  return verdict('destructive', `cannot tell which command ${name} runs: ${scanned.problem}`);
}

/** A wrapper that runs the operand as a command; `alone` is the finding when there is no command. */
export function wrapper(
  spec: OptionSpec,
  own: (s: ScannedOptions, name: string) => Verdict | null,
  alone: (name: string) => Verdict,
): CommandRule {
  return (args, ctx) => {
    const scanned = scanOptions(args, spec);
    if (scanned.problem) return unknownOptions(ctx.name, scanned);
    const verdicts: Verdict[] = [];
    const mine = own(scanned, ctx.name);
    if (mine) verdicts.push(mine);
    for (const name of scanned.assignments) {
      const v = assignmentVerdict(name);
      if (v) verdicts.push(v);
    }
    const inner = args.slice(scanned.operandAt);
    if (inner.length === 0) return { verdicts: [...verdicts, alone(ctx.name)] };
    return { verdicts, inner, extraArgs: ctx.extraArgs };
  };
}

export const none = (): null => null;
export const readsAlone = (what: string) => (name: string) => ({
  class: 'read-only' as const,
  why: `${name} alone ${what}`,
});
export const privileged = (why: string) => (_s: ScannedOptions, name: string) => ({
  class: 'privileged' as const,
  why: `${name} ${why}`,
});
