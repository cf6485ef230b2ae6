import { setTimeout as sleep } from 'node:timers/promises';
import { isTerminal } from '../jobs/index.js';
import {
  CONFIRMED_BY_PERSON,
  runTemplateAsPerson,
  type RunRow,
  type TemplateDetail,
  type TemplateView,
} from '../templates/index.js';
import { intOption, parseCommand } from './args.js';
import { formatDuration, formatTime, oneLine, table } from './format.js';
import { CliError, UsageError } from './io.js';
import { outcomeExitCode, outcomeText } from './jobs-logs.js';
import type { CliContext } from './table.js';

export const TEMPLATES_LIST_USAGE = 'deckhand templates list [--json]';
export const TEMPLATES_SHOW_USAGE = 'deckhand templates show NAME [--json]';
export const TEMPLATES_HISTORY_USAGE = 'deckhand templates history NAME [--limit N] [--json]';
export const TEMPLATES_RUN_USAGE = 'deckhand templates run NAME [--param k=v …] [--yes] [--wait]';

type Stats = TemplateDetail['stats'];

const pct = (r: number | null) => (r === null ? '-' : `${Math.round(r * 100)}%`);
const ms = (v: number | null) => (v === null ? '-' : formatDuration(v));

export function nameArgument(positionals: string[], usage: string): string {
  const name = positionals[0];
  if (name === undefined)
    throw new UsageError('Missing the template name ("deckhand templates list" shows them).', usage);
  return name;
}

/** Every template, page by page (the store pages by name). */
export async function allTemplates(ctx: CliContext) {
  const out: { template: TemplateView; stats: Stats }[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await ctx.templates.list({ limit: 200, cursor });
    out.push(...page.templates);
    if (!page.next_cursor) return out;
    cursor = page.next_cursor;
  }
}

function scheduleCell(t: TemplateView): string {
  const s = t.schedule;
  if (!s) return '-';
  if (s.suspended) return `${s.description} (paused)`;
  return `${s.description}; next ${s.next_runs[0] ?? 'none'}`;
}

function lastRunCell(s: Stats): string {
  return s.last_run ? `${s.last_run.job_id} ${s.last_run.status}` : '-';
}

export async function templatesList(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommand(args, { json: { type: 'boolean' } }, TEMPLATES_LIST_USAGE, 0);
  const rows = await allTemplates(ctx);
  if (values.json) {
    await ctx.io.print(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    await ctx.io.print('No templates yet (an assistant saves them with the save-template tool).\n');
    return 0;
  }
  await ctx.io.print(
    table(
      ['NAME', 'STATUS', 'VERSION', 'SCHEDULE', 'RUNS', 'SUCCESS', 'P50/P95', 'LAST RUN'],
      rows.map(({ template: t, stats: s }) => [
        oneLine(t.name, 40),
        t.status,
        `v${t.version}`,
        oneLine(scheduleCell(t), 80),
        String(s.runs),
        pct(s.success_rate),
        `${ms(s.p50_ms)}/${ms(s.p95_ms)}`,
        lastRunCell(s),
      ]),
    ),
  );
  return 0;
}

export async function templatesShow(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommand(args, { json: { type: 'boolean' } }, TEMPLATES_SHOW_USAGE, 1);
  const d = await ctx.templates.detail(nameArgument(positionals, TEMPLATES_SHOW_USAGE));
  await ctx.io.print(values.json ? `${JSON.stringify(d, null, 2)}\n` : detailText(d));
  return 0;
}

/** One template for a terminal: its definition (env names, never values), versions, statistics, runs, schedule. */
export function detailText(d: TemplateDetail): string {
  const t = d.template;
  const target = t.target.server ?? t.target.servers?.join(',') ?? `selector ${t.target.selector ?? '-'}`;
  const out: string[] = [
    `Template ${oneLine(t.name)} (${t.id}), version ${t.version}, ${t.status}`,
    ...(t.description ? [`  ${oneLine(t.description, 200)}`] : []),
    `  command:  ${oneLine(t.command, 200)}`,
    `  target:   ${oneLine(target, 200)}`,
    `  env:      ${t.env_keys.length ? t.env_keys.join(', ') + ' (values kept secret)' : '-'}`,
    `  params:   ${
      t.params.length
        ? t.params
            .map((p) => `${p.name}${p.required ? ' (required)' : p.default !== undefined ? `=${p.default}` : ''}`)
            .map((p) => oneLine(p, 80))
            .join(', ')
        : '-'
    }`,
    `  created ${formatTime(t.created_at)}, updated ${formatTime(t.updated_at)}`,
    '',
  ];
  const s = t.schedule;
  if (s) {
    const spec = s.spec;
    const timing = spec.cron ? `cron "${spec.cron}"` : spec.every ? `every ${spec.every}` : `at ${spec.at ?? '-'}`;
    out.push(
      `Schedule: ${s.description}${s.suspended ? ' — PAUSED' : ''}`,
      `  ${timing}, tz ${s.tz}, concurrency ${spec.concurrency_policy}, catch-up ${spec.catch_up}` +
        `${spec.jitter_s ? `, jitter ${spec.jitter_s}s` : ''}` +
        `${spec.starting_deadline_s ? `, deadline ${spec.starting_deadline_s}s` : ''}`,
      `  next runs: ${s.next_runs.length ? s.next_runs.join(', ') : 'none'}`,
      `  last slot: ${d.last_slot ?? 'none yet'}`,
      '',
    );
  } else out.push('Schedule: none (runs on demand only)', '');
  out.push(
    `Runs: ${statsLine(d.stats)}`,
    `  this version (v${t.version}): ${statsLine(d.version_stats)}`,
    ...(d.stats.last_failure ? [`  last failure: ${d.stats.last_failure.job_id} ${d.stats.last_failure.status}`] : []),
    '',
    'Versions:',
    ...d.versions.map(
      (v) => `  v${v.version}  ${formatTime(v.created_at)}  ${v.changed.length ? v.changed.join(', ') : '(created)'}`,
    ),
    '',
  );
  out.push('Recent runs:');
  out.push(d.recent_runs.length ? indent(runsTable(d.recent_runs)) : '  none yet');
  if (d.schedule_events.length) {
    out.push('', 'Schedule events (slots not run):');
    for (const e of d.schedule_events)
      out.push(
        `  ${new Date(e.slot).toISOString()}  ${e.kind}${e.count > 1 ? ` ×${e.count}` : ''}: ${oneLine(e.reason, 160)}`,
      );
  }
  return `${out.join('\n')}\n`;
}

function statsLine(s: Stats): string {
  return (
    `${s.runs} (${s.completed} completed, ${s.failed} failed, ${s.cancelled} cancelled, ${s.lost} lost, ` +
    `${s.active} active); success ${pct(s.success_rate)}, p50 ${ms(s.p50_ms)}, p95 ${ms(s.p95_ms)}`
  );
}

const indent = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');

function runsTable(runs: readonly RunRow[]): string {
  return table(
    ['JOB', 'STATUS', 'VERSION', 'TRIGGER', 'CREATED', 'DURATION', 'EXIT'],
    runs.map((r) => [
      r.job_id,
      r.status,
      r.version === null ? '-' : `v${r.version}`,
      r.trigger === null ? '-' : r.slot ? `${r.trigger} ${r.slot}` : r.trigger,
      formatTime(r.created_at),
      ms(r.duration_ms),
      r.exit_code === null ? (r.error ? oneLine(r.error, 60) : '-') : String(r.exit_code),
    ]),
  );
}

export async function templatesHistory(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    { limit: { type: 'string' }, json: { type: 'boolean' } },
    TEMPLATES_HISTORY_USAGE,
    1,
  );
  const name = nameArgument(positionals, TEMPLATES_HISTORY_USAGE);
  const limit = intOption(values, 'limit', 1, 1000, TEMPLATES_HISTORY_USAGE) ?? 20;
  const h = await ctx.templates.history(name, limit);
  if (values.json) await ctx.io.print(`${JSON.stringify(h, null, 2)}\n`);
  else if (h.runs.length === 0) await ctx.io.print(`Template ${name} has not run yet.\n`);
  else await ctx.io.print(runsTable(h.runs));
  if (!values.json && h.next_cursor) ctx.io.warn(`(older runs not shown; raise --limit, e.g. --limit ${limit * 2})`);
  return 0;
}

export interface RunOptions {
  /** How often --wait looks at the job. */
  readonly pollMs?: number;
}

/** `templates run` and `schedules run`: the same run, under either command's usage. */
export function templateRunner(usage: string) {
  return async (args: string[], ctx: CliContext, opts: RunOptions = {}): Promise<number> => {
    const { values, positionals } = parseCommand(
      args,
      { param: { type: 'string', multiple: true }, yes: { type: 'boolean' }, wait: { type: 'boolean' } },
      usage,
      1,
    );
    const name = nameArgument(positionals, usage);
    const params: Record<string, string> = {};
    for (const p of (values.param as unknown as string[] | undefined) ?? []) {
      const eq = p.indexOf('=');
      if (eq <= 0) throw new UsageError(`--param takes NAME=VALUE, got "${oneLine(p, 80)}".`, usage);
      params[p.slice(0, eq)] = p.slice(eq + 1);
    }
    const out = await runTemplateAsPerson(
      { templates: ctx.templates, safety: ctx.safety, targetNames: (t) => ctx.remoteBash.targetNames(t) },
      name,
      {
        params,
        caller: { via: 'in-process', person: ctx.person },
        asker: values.yes ? CONFIRMED_BY_PERSON : undefined,
      },
    );
    if (out.kind === 'refused') {
      const hint =
        out.code === 'approval_pending'
          ? `Policy asks a person about this run: add --yes to confirm it yourself${out.approval ? `, or "deckhand approve ${out.approval.id}"` : ''}.`
          : out.hint;
      throw new CliError(`refused (${out.code}): ${out.message}\n${hint}`);
    }
    let job = out.job;
    await ctx.io.print(`${job.id}\n`);
    if (!(await ctx.jobs.executorAlive()))
      ctx.io.warn(
        'deckhand: no deckhand executes jobs on this home right now: the run is queued until one starts (deckhand serve).',
      );
    if (!values.wait) {
      ctx.io.warn(`deckhand: started; follow it with "deckhand jobs logs -f ${job.id}".`);
      return 0;
    }
    while (!isTerminal(job.status) && !ctx.io.closed) {
      await sleep(opts.pollMs ?? 250);
      job = await ctx.jobs.get(job.id);
    }
    ctx.io.warn(`deckhand: ${outcomeText(job)}.`);
    return outcomeExitCode(job);
  };
}

export const templatesRun = templateRunner(TEMPLATES_RUN_USAGE);
