import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { DeckhandError } from '../../errors.js';
import type { RunDefaults, SaveInput, StoredTemplateTarget } from './shared/template-shapes.js';
import { refusedArguments } from '../argument-validation.js';
import { admit } from './shared/admit.js';
import { byteLimitedString } from './shared/byte-limit.js';
import type { ToolDeps } from './shared/deps.js';
import { queueArgs, queuePolicies } from './shared/queue-args.js';
import { guarded, ok } from './shared/results.js';
import { envMap, matching, serverName } from './shared/schemas.js';
import { scheduleOf, scheduleText } from './shared/template-shapes.js';

const { not_before: _nb, delay_s: _d, ...runArgs } = queueArgs();

const templateName = matching(
  /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
  'must be a lowercase slug: a-z, 0-9 and "-", 1 to 63 characters, e.g. "patch-web"',
);

/** A whole number in a range, checked by the argument gate but not advertised: tools.md gives the limits. */
const whole = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .number()
    .int()
    .refine((v) => v >= min && v <= max, `must be from ${min} to ${max}`);

// null removes the schedule: taken as {remove: true}, so the advertised schema stays one object (no anyOf).
const schedule = z.preprocess(
  (v) => (v === null ? { remove: true } : v),
  z
    .object({
      cron: z.string().max(256).optional().describe('5 fields or @daily etc.'),
      every: z.string().max(64).optional().describe('e.g. "15m".'),
      at: z.string().max(64).optional().describe('ISO time, once.'),
      tz: z.string().max(64).optional(),
      concurrency_policy: z.enum(['Forbid', 'Allow', 'Replace']).optional(),
      starting_deadline_s: z.number().int().optional(),
      catch_up: z.enum(['latest', 'none', 'all']).optional(),
      catch_up_limit: z.number().int().optional(),
      jitter_s: z.number().int().optional(),
      suspend: z.boolean().optional().describe('Pause (true), resume.'),
      remove: z.boolean().optional(),
    })
    .strict(),
);

export const saveTemplateInput = z
  .object({
    name: templateName.describe('A slug.'),
    description: z.string().max(1024).optional(),
    command: byteLimitedString(256 * 1024, { minChars: 1 }).optional(),
    cwd: z.string().min(1).max(4096).optional(),
    timeout_s: whole(1, 30 * 24 * 3600).optional(),
    sudo: z.boolean().optional(),
    env: envMap().optional().describe('Kept secret.'),
    server: serverName.optional(),
    servers: z
      .array(serverName)
      .refine((a) => a.length >= 1 && a.length <= 1000, 'must name 1 to 1000 servers')
      .optional(),
    selector: z.string().min(1).max(1024).optional(),
    max_parallel: whole(1, 1000).optional(),
    serial: matching(
      /^(\d{1,4}|\d{1,3}%)$/,
      'must be a number of servers as a string, e.g. "2", or a percentage, e.g. "25%"',
    ).optional(),
    max_failures: whole(0).optional(),
    fail_fast: z.boolean().optional(),
    params: z
      .array(
        z
          .object({
            name: z.string().min(1).max(64),
            default: z
              .string()
              .max(32 * 1024)
              .optional(),
            required: z.boolean().optional(),
            pattern: z.string().max(1024).optional().describe('Regex, whole value.'),
            description: z.string().max(512).optional(),
          })
          .strict(),
      )
      .refine((a) => a.length <= 32, 'at most 32 parameters')
      .optional()
      .describe('Env vars for the command.'),
    ...runArgs,
    active_deadline_s: whole(1).optional(),
    ttl_after_finished_s: whole(0).optional(),
    schedule: schedule.optional().describe('Merged into the current; null removes.'),
    history: z
      .object({ successful: whole(0, 100).optional(), failed: whole(0, 100).optional() })
      .strict()
      .optional()
      .describe('Runs whose logs are kept.'),
    status: z.enum(['enabled', 'disabled', 'archived']).optional(),
    if_version: whole(0).optional(),
    dry_run: z.boolean().optional(),
  })
  .strict();

type Args = z.infer<typeof saveTemplateInput>;

const TARGET_KEYS = ['server', 'servers', 'selector'] as const;
const BATCH_KEYS = ['max_parallel', 'serial', 'max_failures', 'fail_fast'] as const;
const RUN_KEYS = ['priority', 'attempts', 'retry_on', 'backoff', 'backoff_s'] as const;

export function registerSaveTemplateTool(
  server: McpServer,
  deps: Pick<ToolDeps, 'templates' | 'remoteBash' | 'safety' | 'session'>,
): void {
  server.registerTool(
    'save-template',
    {
      title: 'Save a job template',
      description:
        'Create or change a job template (a command kept to run by run-template or a schedule); to change, give ' +
        'only what changes. Each change is a new version. dry_run shows the diff.',
      inputSchema: saveTemplateInput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    guarded(async (args, extra) => {
      const parameters = Object.keys(saveTemplateInput.shape);
      const given = TARGET_KEYS.filter((k) => args[k] !== undefined);
      if (given.length > 1)
        return refusedArguments(
          'save-template',
          args,
          [
            {
              path: [given[1] as string],
              message: `give only one of server, servers and selector (${given.join(' and ')} were given)`,
            },
          ],
          parameters,
        );
      const current = await existing(deps, args.name);
      const cur = current?.view;
      const queue = queuePolicies(args, Date.now());
      if (!queue.ok) return refusedArguments('save-template', args, queue.issues, parameters);
      const input: SaveInput = {
        name: args.name,
        description: args.description,
        command: args.command,
        cwd: args.cwd,
        timeout_s: args.timeout_s,
        sudo: args.sudo,
        env: args.env,
        target: targetOf(args, cur?.target),
        params: args.params,
        run: runOf(args, current?.run, queue.policies),
        schedule: scheduleOfArgs(args.schedule),
        history: args.history,
        status: args.status,
        if_version: args.if_version,
        dry_run: args.dry_run,
      };
      if (args.dry_run) {
        const r = await deps.templates.save(input);
        return ok(answer(r), text(r));
      }
      // The gate sees what the template will run and where: the saved command, on each server it names now.
      const command = args.command ?? cur?.command;
      const target = input.target ?? cur?.target;
      const names = target && command !== undefined ? await deps.remoteBash.targetNames(target) : [];
      const envKeys = Object.keys(args.env ?? {}).sort();
      const gate = await admit(
        server,
        deps,
        {
          tool: 'save-template',
          targets: names.map((n) => ({ server: n, action: { kind: 'command', command: command as string } })),
          args: { ...args, env: args.env ? Object.fromEntries(envKeys.map((k) => [k, '***'])) : undefined },
          secrets: Object.values(args.env ?? {}),
          key: { ...args, env: envKeys },
          command,
        },
        extra,
      );
      if (!gate.ok) return gate.result;
      const r = await gate.run(() => deps.templates.save(input));
      return ok(answer(r), text(r));
    }),
  );
}

async function existing(deps: Pick<ToolDeps, 'templates'>, name: string) {
  try {
    const t = await deps.templates.get(name);
    const def = t.definition as { target: StoredTemplateTarget; command: string; run: RunDefaults };
    return { view: { target: def.target, command: def.command }, run: def.run };
  } catch (err) {
    if (err instanceof DeckhandError && err.code === 'unknown_template') return undefined;
    throw err;
  }
}

/** The target: given whole (server, servers or selector), or the current one with the batch options given. */
function targetOf(args: Args, before: StoredTemplateTarget | undefined): StoredTemplateTarget | undefined {
  const named = TARGET_KEYS.some((k) => args[k] !== undefined);
  const batch = BATCH_KEYS.some((k) => args[k] !== undefined);
  if (!named && !batch) return undefined;
  const base: StoredTemplateTarget = named
    ? { server: args.server, servers: args.servers, selector: args.selector }
    : (before ?? {});
  const keep = named ? {} : Object.fromEntries(BATCH_KEYS.map((k) => [k, before?.[k]]));
  return {
    ...base,
    ...keep,
    ...Object.fromEntries(BATCH_KEYS.filter((k) => args[k] !== undefined).map((k) => [k, args[k]])),
  };
}

/** Run defaults: the current ones with what was given over them (retries given replace the retry policy whole). */
function runOf(
  args: Args,
  before: RunDefaults | undefined,
  policies: { priority?: number | undefined; retry?: RunDefaults['retry'] } | undefined,
): RunDefaults | undefined {
  const retryGiven = RUN_KEYS.some((k) => k !== 'priority' && args[k] !== undefined);
  const any = retryGiven || args.priority !== undefined || args.active_deadline_s !== undefined;
  if (!any && args.ttl_after_finished_s === undefined) return undefined;
  return {
    ...before,
    ...(args.priority !== undefined ? { priority: policies?.priority } : {}),
    ...(retryGiven ? { retry: policies?.retry } : {}),
    ...(args.active_deadline_s !== undefined ? { active_deadline_s: args.active_deadline_s } : {}),
    ...(args.ttl_after_finished_s !== undefined ? { ttl_after_finished_s: args.ttl_after_finished_s } : {}),
  };
}

function answer(r: Awaited<ReturnType<ToolDeps['templates']['save']>>) {
  return {
    status: r.dry_run ? 'dry_run' : r.created ? 'created' : r.changed.length > 0 ? 'updated' : 'unchanged',
    name: r.template.name,
    version: r.template.version,
    template_status: r.template.status,
    changed: r.changed,
    diff: r.diff,
    schedule: scheduleOf(r.template),
  };
}

function text(r: Awaited<ReturnType<ToolDeps['templates']['save']>>): string {
  const t = r.template;
  const head = r.dry_run
    ? `Dry run: nothing stored. Template "${t.name}" would be ${r.created ? 'created' : r.changed.length ? `at version ${t.version}` : 'unchanged'}.`
    : r.created
      ? `Template "${t.name}" created (version ${t.version}).`
      : r.changed.length
        ? `Template "${t.name}" saved as version ${t.version}.`
        : `Template "${t.name}" unchanged (version ${t.version}).`;
  const lines = [head];
  if (!r.created && r.diff.length) lines.push('Changes:', ...r.diff.map((d) => `  ${d}`));
  lines.push(scheduleText(t));
  if (t.status !== 'enabled') lines.push(`Status: ${t.status} (it does not run).`);
  return lines.join('\n');
}

/** The schedule argument as the service takes it: {remove: true} (or null) removes it, the rest is merged. */
function scheduleOfArgs(s: Args['schedule']): SaveInput['schedule'] {
  if (s === undefined) return undefined;
  const { remove, ...rest } = s;
  return remove ? null : rest;
}
