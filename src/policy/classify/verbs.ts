import type { ActionClass } from '../classes.js';
import type { ShellWord } from '../shell/types.js';
import { shown, uncertain, verdict, type CommandRule } from './rule.js';

/** A command driven by a verb (`systemctl status`, `docker ps`, `apt list`): some verbs read, the rest change things. */
export interface VerbSpec {
  /** Verbs that only read. A verb group like docker's `container` is listed as "container ls". */
  readonly reads: readonly string[];
  /** First words that take a second verb word (`docker container ls`). */
  readonly groups?: readonly string[];
  /** Single-letter options whose value is the next word (`-t service`), so that it is not taken for the verb. */
  readonly valuedShort?: string;
  /** Long options whose value may be the next word (`--context prod`). */
  readonly valuedLong?: readonly string[];
  /** Options that, before any verb, make the command only print (`docker -v` is the version; `docker compose down -v` is not). */
  readonly readOptions?: readonly string[];
  /** Verbs that change things: one found later in the line (swallowed verb, unknown option) still refuses read-only. */
  readonly changing?: readonly string[];
  /** What no verb at all does. */
  readonly alone: { readonly class: ActionClass; readonly why: string };
  /** The class of a verb that is not in `reads`, and what such a verb does. */
  readonly other: { readonly class: ActionClass; readonly does: string };
}

/** The words that are not options or option values, in order. */
export function operandsOf(
  args: readonly ShellWord[],
  spec: Pick<VerbSpec, 'valuedShort' | 'valuedLong'>,
): ShellWord[] {
  const out: ShellWord[] = [];
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    const v = w.value;
    if (v !== null && v.startsWith('--') && v.length > 2) {
      if (!v.includes('=') && spec.valuedLong?.includes(v.slice(2))) i++;
      continue;
    }
    if (v !== null && /^-[^-]/.test(v)) {
      if (v.length === 2 && spec.valuedShort?.includes(v[1]!)) i++;
      continue;
    }
    out.push(w);
  }
  return out;
}

/**
 * The verb is the first operand. To stay safe when an unknown option swallows a word, the command only reads when
 * that verb reads and no later operand is itself a verb that changes things.
 */
export function verbRule(spec: VerbSpec): CommandRule {
  const reads = new Set(spec.reads);
  const groups = new Set(spec.groups ?? []);
  const changingVerbs = new Set((spec.changing ?? []).filter((v) => !reads.has(v)));
  return (args, ctx) => {
    const ops = operandsOf(args, spec);
    const beforeVerb = ops[0] ? args.slice(0, args.indexOf(ops[0])) : args;
    if (beforeVerb.some((w) => w.value !== null && spec.readOptions?.includes(w.value))) {
      return verdict('read-only', `${ctx.name} ${args.map(shown).join(' ')} only prints information`);
    }
    const first = ops[0];
    if (!first) {
      if (ctx.extraArgs) return verdict(spec.other.class, `${ctx.name} gets its verb from its input`);
      return verdict(spec.alone.class, `${ctx.name} alone ${spec.alone.why}`);
    }
    const vague = ops.slice(0, 2).find(uncertain);
    if (vague) return verdict(spec.other.class, `${ctx.name}'s verb ${vague.raw} is decided at run time`);
    const verb = groups.has(first.value!) && ops[1] ? `${first.value} ${ops[1].value}` : first.value!;
    const changing = ops.slice(1).find((w) => w.value !== null && changingVerbs.has(w.value));
    if (reads.has(verb) && !changing) return verdict('read-only', `${ctx.name} ${verb} only reads`);
    const shownVerb = reads.has(verb) && changing ? shown(changing) : verb;
    return verdict(spec.other.class, `${ctx.name} ${shownVerb} ${spec.other.does}`);
  };
}
