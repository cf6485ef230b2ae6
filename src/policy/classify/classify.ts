import { worstClass, type ActionClass, type Verdict } from '../classes.js';
import type { ShellParser, ShellUnit, ShellWord } from '../shell/types.js';
import { programName, redirectVerdict, systemDirOf } from './paths.js';
import type { CommandRule, Finding } from './rule.js';
import { READ_ONLY_RULES } from './rules-readonly.js';
import { FILE_RULES, PATH_CHANGERS } from './rules-files.js';
import { SCRIPT_RULES } from './rules-scripts.js';
import { SYSTEM_RULES } from './rules-system.js';
import { TOOL_RULES } from './rules-tools.js';
import { assignmentVerdicts } from './variables.js';
import { WRAPPER_RULES } from './wrappers.js';
import { PRIVILEGE_RULES } from './rules-privilege.js';

/** One piece of a command line with its class: a simple command, a redirect that writes, or an unreadable piece. */
export interface ClassifiedPart {
  readonly id: number;
  /** The piece as written, for showing to a person. */
  readonly text: string;
  /** Its words with quotes and escapes removed and a standard program path shortened (`/bin/rm` → `rm`). */
  readonly words: readonly string[];
  /** The words as seen through each wrapper (`sudo env X=1 rm x` → …, `env X=1 rm x`, `rm x`): deny patterns look at all. */
  readonly views: readonly (readonly string[])[];
  readonly class: ActionClass;
  readonly reasons: readonly Verdict[];
  /** The part whose script (`sh -c '…'`, `eval`) or command (`find -exec`) holds this one, if any. */
  readonly within: number | null;
  /** False for a piece deckhand could not read: no pattern or grant may allow it. */
  readonly readable: boolean;
}

export interface CommandClassification {
  readonly command: string;
  /** The worst class of its parts. */
  readonly class: ActionClass;
  readonly parts: readonly ClassifiedPart[];
  /** One line per reason a part is not read-only, e.g. "`rm -f x`: rm deletes files (destructive)". */
  readonly reasons: readonly string[];
}

export interface CommandClassifier {
  classify(command: string): CommandClassification;
}

const RULES: ReadonlyMap<string, CommandRule> = new Map([
  ...READ_ONLY_RULES,
  ...FILE_RULES,
  ...SCRIPT_RULES,
  ...SYSTEM_RULES,
  ...TOOL_RULES,
  ...WRAPPER_RULES,
  ...PRIVILEGE_RULES,
]);

/** `sh -c "sh -c '…'"` deeper than this is not read. */
export const MAX_SCRIPT_DEPTH = 6;
/** A wrapper chain (`sudo env nice timeout …`) longer than this is not followed. */
const MAX_WRAPPERS = 16;

/** Classifies remote-bash command lines; the parser comes in so tests and production share one loaded grammar. */
export function createCommandClassifier(parser: ShellParser): CommandClassifier {
  return {
    classify(command: string): CommandClassification {
      const parts: ClassifiedPart[] = [];
      classifyScript(parser, command, null, 0, parts);
      const cls = worstClass(parts.map((p) => p.class));
      return { command, class: cls, parts, reasons: explain(parts) };
    },
  };
}

function classifyScript(
  parser: ShellParser,
  source: string,
  within: number | null,
  depth: number,
  parts: ClassifiedPart[],
): void {
  if (depth > MAX_SCRIPT_DEPTH) {
    parts.push(unreadablePart(parts.length, source, `scripts nested more than ${MAX_SCRIPT_DEPTH} deep`, within));
    return;
  }
  for (const unit of parser.parse(source).units) classifyUnit(parser, unit, within, depth, parts);
}

function classifyUnit(
  parser: ShellParser,
  unit: ShellUnit,
  within: number | null,
  depth: number,
  parts: ClassifiedPart[],
): void {
  switch (unit.kind) {
    case 'unreadable':
      parts.push(unreadablePart(parts.length, unit.text, unit.why, within));
      return;
    case 'redirect':
      pushRedirect(unit.redirect, within, parts);
      return;
    case 'assignment': {
      const found = assignmentVerdicts(unit.assignment);
      const reasons: Verdict[] = found.length > 0 ? found : [{ class: 'read-only', why: 'only sets a shell variable' }];
      const words = [unit.assignment.raw];
      const cls = worstClass(reasons.map((r) => r.class));
      parts.push({
        id: parts.length,
        text: unit.text,
        words,
        views: [words],
        class: cls,
        reasons,
        within,
        readable: true,
      });
      return;
    }
    case 'command':
      classifyCommand(parser, unit, within, depth, false, parts);
  }
}

function classifyCommand(
  parser: ShellParser,
  unit: Extract<ShellUnit, { kind: 'command' }>,
  within: number | null,
  depth: number,
  extraArgs: boolean,
  parts: ClassifiedPart[],
): void {
  const id = parts.length;
  const verdicts: Verdict[] = unit.assignments.flatMap(assignmentVerdicts);
  const full = normalise(unit.words);
  const views: string[][] = [full];
  const scripts: ShellWord[] = [];
  const commands: (readonly ShellWord[])[] = [];
  let words = unit.words;
  let finalArgs: readonly ShellWord[] = [];
  for (let hops = 0; ; hops++) {
    const found =
      hops > MAX_WRAPPERS
        ? { verdicts: [{ class: 'destructive', why: 'too many wrappers to follow' }] as Verdict[] }
        : judge(words, extraArgs);
    verdicts.push(...found.verdicts);
    scripts.push(...(found.scripts ?? []));
    commands.push(...(found.commands ?? []));
    finalArgs = words.slice(1);
    if (!found.inner || hops > MAX_WRAPPERS) break;
    words = found.inner;
    extraArgs = found.extraArgs ?? extraArgs;
    views.push(normalise(words));
  }
  const changer = words[0]?.value ? programName(words[0].value) : '';
  const touched = PATH_CHANGERS.has(changer) && isDestructive(verdicts) ? systemArgument(finalArgs) : null;
  if (touched) verdicts.push({ class: 'privileged', why: `it changes ${touched.path}, under ${touched.dir}` });
  parts.push({
    id,
    text: unit.text,
    words: full,
    views,
    class: worstClass(verdicts.map((v) => v.class)),
    reasons: verdicts,
    within,
    readable: true,
  });
  for (const r of unit.redirects) pushRedirect(r, within, parts);
  for (const script of scripts) {
    if (script.value === null)
      parts.push(unreadablePart(parts.length, script.raw, 'the script is built at run time', id));
    else classifyScript(parser, script.value, id, depth + 1, parts);
  }
  for (const cmd of commands) {
    const text = cmd.map((w) => w.raw).join(' ');
    classifyCommand(
      parser,
      { kind: 'command', text, assignments: [], words: cmd, redirects: [] },
      id,
      depth + 1,
      true,
      parts,
    );
  }
}

/** Applies the rule for the command name; a name deckhand does not know counts as destructive. */
function judge(words: readonly ShellWord[], extraArgs: boolean): Finding {
  const head = words[0];
  if (!head) return { verdicts: [{ class: 'read-only', why: 'only sets shell variables' }] };
  if (head.value === null)
    return { verdicts: [{ class: 'destructive', why: `the command name ${head.raw} is decided at run time` }] };
  if (head.pattern)
    return { verdicts: [{ class: 'destructive', why: `the command name ${head.raw} is a pattern the shell expands` }] };
  const name = programName(head.value);
  const rule = RULES.get(name);
  if (!rule) {
    const why = name.includes('/')
      ? `${name} is a program deckhand does not know`
      : `${name} is not on deckhand's read-only list`;
    return { verdicts: [{ class: 'destructive', why }] };
  }
  return rule(words.slice(1), { name, extraArgs });
}

function isDestructive(verdicts: readonly Verdict[]): boolean {
  return worstClass(verdicts.map((v) => v.class)) === 'destructive';
}

function systemArgument(args: readonly ShellWord[]): { path: string; dir: string } | null {
  for (const w of args) {
    const dir = w.value === null ? null : systemDirOf(w.value);
    if (dir) return { path: w.value!, dir };
  }
  return null;
}

function pushRedirect(r: Parameters<typeof redirectVerdict>[0], within: number | null, parts: ClassifiedPart[]): void {
  const v = redirectVerdict(r);
  if (!v) return;
  const words = [r.op, r.target ? (r.target.value ?? r.target.raw) : ''];
  parts.push({
    id: parts.length,
    text: r.raw,
    words,
    views: [words],
    class: v.class,
    reasons: [v],
    within,
    readable: true,
  });
}

function unreadablePart(id: number, text: string, why: string, within: number | null): ClassifiedPart {
  return {
    id,
    text,
    words: [],
    views: [],
    class: 'destructive',
    reasons: [{ class: 'destructive', why: `deckhand cannot check it: ${why}` }],
    within,
    readable: false,
  };
}

/** The words as policy patterns see them: values without quotes, the program by its short name. */
function normalise(words: readonly ShellWord[]): string[] {
  return words.map((w, i) => {
    const v = w.value ?? w.raw;
    return i === 0 && w.value !== null ? programName(v) : v;
  });
}

function explain(parts: readonly ClassifiedPart[]): string[] {
  const lines: string[] = [];
  for (const p of parts) {
    for (const r of p.reasons) {
      if (r.class === 'read-only') continue;
      const line = `\`${clip(p.text)}\`: ${r.why} (${r.class})`;
      if (!lines.includes(line)) lines.push(line);
    }
  }
  return lines;
}

function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > 80 ? `${one.slice(0, 79)}…` : one;
}
