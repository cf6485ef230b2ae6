import { ValidationError } from '../errors.js';
import type { TemplateStatus } from '../jobs/store/contract.js';
import {
  checkHistory,
  checkParams,
  type ParamSpec,
  type RunDefaults,
  type TemplateDefinition,
  type TemplateTarget,
} from './definition.js';
import { parseScheduleSpec, type ScheduleSpec } from './schedule/index.js';

/** A save-template call: the whole template when creating, any subset when updating (the rest is kept). */
export interface SaveInput {
  readonly name: string;
  readonly description?: string | undefined;
  readonly command?: string | undefined;
  /** null clears. */
  readonly cwd?: string | null | undefined;
  readonly timeout_s?: number | undefined;
  readonly sudo?: boolean | undefined;
  readonly fresh_shell?: boolean | undefined;
  /** Replaces the env (values go to the secret store); null clears it; absent keeps it. */
  readonly env?: Readonly<Record<string, string>> | null | undefined;
  /** Replaces the target whole when given. */
  readonly target?: TemplateTarget | undefined;
  readonly params?: readonly ParamSpec[] | undefined;
  readonly run?: RunDefaults | undefined;
  /** Merged into the current schedule (so `{suspend: true}` pauses it); null removes it. */
  readonly schedule?: Readonly<Record<string, unknown>> | null | undefined;
  readonly history?: { readonly successful?: number | undefined; readonly failed?: number | undefined } | undefined;
  readonly status?: TemplateStatus | undefined;
  /** Refuse unless the template is at this version (no lost update between reading and saving). */
  readonly if_version?: number | undefined;
  readonly dry_run?: boolean | undefined;
}

/**
 * The new definition: the input over the current one; everything checked before anything is stored. `checkTarget`
 * refuses servers that do not exist and selectors that match nothing.
 */
export async function buildDefinition(
  input: SaveInput,
  before: TemplateDefinition | undefined,
  now: number,
  checkTarget: (target: TemplateTarget) => Promise<unknown>,
): Promise<TemplateDefinition> {
  const command = input.command ?? before?.command;
  if (command === undefined)
    throw new ValidationError(`Template "${input.name}" does not exist yet: command is required.`, 'Give command.');
  const target = input.target ?? before?.target;
  if (!target)
    throw new ValidationError(
      `Template "${input.name}" does not exist yet: its target is required.`,
      'Give server, servers or selector.',
    );
  const named = (['server', 'servers', 'selector'] as const).filter((k) => target[k] !== undefined);
  if (named.length !== 1)
    throw new ValidationError(
      named.length === 0 ? 'A template needs a target.' : `Give one of ${named.join(' and ')}, not both.`,
      'Give exactly one of server, servers or selector.',
    );
  // Unknown servers and selectors that match nothing are refused now, not at 03:00 on Sunday.
  await checkTarget(target);
  const envKeys =
    input.env === null ? [] : input.env !== undefined ? Object.keys(input.env).sort() : (before?.env_keys ?? []);
  const params = input.params ?? before?.params ?? [];
  checkParams(params, envKeys);
  let schedule: ScheduleSpec | null = before?.schedule ?? null;
  if (input.schedule === null) schedule = null;
  else if (input.schedule !== undefined) {
    const merged = { ...(schedule ?? {}), ...input.schedule };
    const timingChanged =
      schedule === null || ['cron', 'every', 'at', 'anchor', 'tz'].some((k) => k in input.schedule!);
    // A schedule given as cron replaces an every (and so on): the one timing field given wins.
    if (schedule !== null)
      for (const k of ['cron', 'every', 'at'] as const)
        if (k in input.schedule && input.schedule[k] !== undefined)
          for (const other of ['cron', 'every', 'at'] as const)
            if (other !== k && !(other in input.schedule)) delete (merged as Record<string, unknown>)[other];
    schedule = parseScheduleSpec(merged, timingChanged ? { now: new Date(now) } : {});
  }
  const def: TemplateDefinition = {
    description: input.description ?? before?.description ?? '',
    kind: 'remote-bash',
    command,
    ...optional('cwd', input.cwd === null ? undefined : (input.cwd ?? before?.cwd)),
    ...optional('timeout_s', input.timeout_s ?? before?.timeout_s),
    ...optional('sudo', input.sudo ?? before?.sudo),
    ...optional('fresh_shell', input.fresh_shell ?? before?.fresh_shell),
    env_keys: envKeys,
    target: stripUndefined(target),
    params: params.map(stripUndefined),
    run: stripUndefined(input.run ?? before?.run ?? {}),
    schedule,
    history: checkHistory({ ...before?.history, ...input.history }),
  };
  return def;
}

function optional<K extends string, V>(k: K, v: V | undefined): Partial<Record<K, V>> {
  return v === undefined ? {} : ({ [k]: v } as Record<K, V>);
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
