import { ValidationError } from '../errors.js';
import type { RetryPolicy } from '../jobs/types.js';
import type { ScheduleSpec } from './schedule/index.js';

/** A parameter a template's command may use: passed as an environment variable, never spliced into the command. */
export interface ParamSpec {
  readonly name: string;
  readonly default?: string | undefined;
  readonly required?: boolean | undefined;
  /** A regular expression the whole value must match. */
  readonly pattern?: string | undefined;
  readonly description?: string | undefined;
}

/** Where a template runs: one of server, servers or selector (as remote-bash takes them), with batch options. */
export interface TemplateTarget {
  readonly server?: string | undefined;
  readonly servers?: readonly string[] | undefined;
  readonly selector?: string | undefined;
  readonly max_parallel?: number | undefined;
  readonly serial?: string | undefined;
  readonly max_failures?: number | undefined;
  readonly fail_fast?: boolean | undefined;
}

/** How each run is queued unless the run says otherwise. */
export interface RunDefaults {
  /** 0 high, 1 normal, 2 low. */
  readonly priority?: number | undefined;
  readonly retry?: RetryPolicy | undefined;
  readonly active_deadline_s?: number | undefined;
  readonly ttl_after_finished_s?: number | undefined;
}

/**
 * One version of a template: what it runs, where, with which parameters and defaults, and when. Immutable once
 * stored; env values are not here (the secret store keeps them per version), only their names.
 */
export interface TemplateDefinition {
  readonly description: string;
  readonly kind: 'remote-bash';
  readonly command: string;
  readonly cwd?: string | undefined;
  readonly timeout_s?: number | undefined;
  readonly sudo?: boolean | undefined;
  readonly fresh_shell?: boolean | undefined;
  readonly env_keys: readonly string[];
  readonly target: TemplateTarget;
  readonly params: readonly ParamSpec[];
  readonly run: RunDefaults;
  readonly schedule: ScheduleSpec | null;
  /** Kubernetes' successfulJobsHistoryLimit / failedJobsHistoryLimit: runs whose logs outlive the global retention. */
  readonly history: { readonly successful: number; readonly failed: number };
}

export const DEFAULT_HISTORY = Object.freeze({ successful: 3, failed: 1 });
export const MAX_HISTORY = 100;
export const MAX_PARAMS = 32;
const NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const PARAM_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** A template's name: a slug (lower-case letters, digits, dashes), as in URLs and CLI arguments. */
export function checkTemplateName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new ValidationError(
      `Template name "${name.slice(0, 80)}" is not a slug.`,
      'Use 1 to 63 lower-case letters, digits and dashes, starting and ending with a letter or digit, e.g. "patch-web".',
    );
  }
}

/** The parameter list is well formed: names usable as env variables, unique, patterns that compile, defaults that match. */
export function checkParams(params: readonly ParamSpec[], envKeys: readonly string[]): void {
  if (params.length > MAX_PARAMS)
    throw new ValidationError(`A template takes at most ${MAX_PARAMS} parameters.`, 'Drop some parameters.');
  const seen = new Set<string>();
  for (const p of params) {
    if (!PARAM_RE.test(p.name))
      throw new ValidationError(
        `Parameter name "${p.name.slice(0, 80)}" cannot be an environment variable.`,
        'Use letters, digits and underscores, not starting with a digit (e.g. "VERSION").',
      );
    if (seen.has(p.name)) throw new ValidationError(`Parameter "${p.name}" is listed twice.`, 'Keep one of them.');
    if (envKeys.includes(p.name))
      throw new ValidationError(
        `Parameter "${p.name}" has the name of one of the template's env variables.`,
        'Rename the parameter or the env variable: each reaches the command as its own variable.',
      );
    seen.add(p.name);
    if (p.pattern !== undefined) {
      const re = compilePattern(p);
      if (p.default !== undefined && !re.test(p.default))
        throw new ValidationError(
          `The default of parameter "${p.name}" does not match its pattern ${p.pattern}.`,
          'Change the default or the pattern.',
        );
    }
  }
}

function compilePattern(p: ParamSpec): RegExp {
  try {
    return new RegExp(`^(?:${p.pattern})$`);
  } catch (err) {
    throw new ValidationError(
      `The pattern of parameter "${p.name}" is not a regular expression: ${(err as Error).message}.`,
      'Write a JavaScript regular expression matched against the whole value, e.g. "[0-9]+\\.[0-9]+".',
    );
  }
}

/**
 * The values a run passes, checked against the template's parameters: unknown names, missing required ones and
 * values that do not match their pattern are refused, all named at once; defaults fill the rest.
 */
export function resolveParams(
  specs: readonly ParamSpec[],
  given: Readonly<Record<string, string>>,
): Record<string, string> {
  const problems: string[] = [];
  const known = new Set(specs.map((p) => p.name));
  for (const k of Object.keys(given)) if (!known.has(k)) problems.push(`"${k}" is not a parameter`);
  const out: Record<string, string> = {};
  for (const p of specs) {
    const v = given[p.name] ?? p.default;
    if (v === undefined) {
      if (p.required) problems.push(`"${p.name}" is required`);
      continue;
    }
    if (Buffer.byteLength(v) > 32 * 1024) problems.push(`"${p.name}" is longer than 32 KiB`);
    else if (p.pattern !== undefined && !compilePattern(p).test(v))
      problems.push(`"${p.name}" = "${v.slice(0, 60)}" does not match ${p.pattern}`);
    out[p.name] = v;
  }
  if (problems.length > 0) {
    const names = specs.map((p) => `${p.name}${p.required ? ' (required)' : ''}`).join(', ') || 'none';
    throw new ValidationError(`Template parameters refused: ${problems.join('; ')}.`, `The parameters are: ${names}.`);
  }
  return out;
}

/** A definition's fields that differ from another's, for a save's answer (and its dry run). */
export function changedFields(before: TemplateDefinition | undefined, after: TemplateDefinition): string[] {
  if (!before) return Object.keys(after);
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter(
    (k) =>
      JSON.stringify((before as unknown as Record<string, unknown>)[k]) !==
      JSON.stringify((after as unknown as Record<string, unknown>)[k]),
  );
}

/** The timing of a schedule (what makes slots fall elsewhere); a change of it restarts the firing state. */
export function timingOf(s: ScheduleSpec | null): string {
  return s === null ? '' : JSON.stringify([s.cron, s.every, s.at, s.anchor, s.tz]);
}

export function checkHistory(h: { successful?: number | undefined; failed?: number | undefined }): {
  successful: number;
  failed: number;
} {
  const out = { successful: h.successful ?? DEFAULT_HISTORY.successful, failed: h.failed ?? DEFAULT_HISTORY.failed };
  for (const [k, v] of Object.entries(out))
    if (!Number.isInteger(v) || v < 0 || v > MAX_HISTORY)
      throw new ValidationError(`history.${k} must be a whole number from 0 to ${MAX_HISTORY}.`, 'Default: 3 and 1.');
  return out;
}
