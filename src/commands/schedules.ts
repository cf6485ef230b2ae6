import { nextRunTimes, suspendAsPerson } from '../templates/index.js';
import { intOption, parseCommand } from './args.js';
import { oneLine, table } from './format.js';
import { CliError } from './io.js';
import type { CliContext } from './table.js';
import { allTemplates, nameArgument, templateRunner } from './templates.js';

/** `deckhand schedules …`: the templates that have a schedule, seen and steered by their schedule. */
export const SCHEDULES_LIST_USAGE = 'deckhand schedules list [--json]';
export const SCHEDULES_PAUSE_USAGE = 'deckhand schedules pause NAME';
export const SCHEDULES_RESUME_USAGE = 'deckhand schedules resume NAME';
export const SCHEDULES_RUN_USAGE = 'deckhand schedules run NAME [--param k=v …] [--yes] [--wait]';
export const SCHEDULES_NEXT_USAGE = 'deckhand schedules next NAME [--count N]';

export const schedulesRun = templateRunner(SCHEDULES_RUN_USAGE);

export async function schedulesList(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommand(args, { json: { type: 'boolean' } }, SCHEDULES_LIST_USAGE, 0);
  const rows = (await allTemplates(ctx)).filter((r) => r.template.schedule !== null);
  const details = await Promise.all(rows.map((r) => ctx.templates.detail(r.template.name, { runs: 1 })));
  if (values.json) {
    await ctx.io.print(
      `${JSON.stringify(
        details.map((d) => ({
          name: d.template.name,
          status: d.template.status,
          schedule: d.template.schedule,
          last_slot: d.last_slot,
        })),
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  if (details.length === 0) {
    await ctx.io.print('No template has a schedule.\n');
    return 0;
  }
  await ctx.io.print(
    table(
      ['NAME', 'SCHEDULE', 'TZ', 'NEXT RUN', 'STATE', 'LAST SLOT'],
      details.map((d) => {
        const t = d.template;
        const s = t.schedule!;
        const state = t.status !== 'enabled' ? t.status : s.suspended ? 'paused' : 'active';
        return [
          oneLine(t.name, 40),
          oneLine(s.description, 60),
          s.tz,
          s.suspended || t.status !== 'enabled' ? '-' : (s.next_runs[0] ?? 'none'),
          state,
          d.last_slot ?? '-',
        ];
      }),
    ),
  );
  return 0;
}

function pauser(usage: string, suspend: boolean) {
  return async (args: string[], ctx: CliContext): Promise<number> => {
    const { positionals } = parseCommand(args, {}, usage, 1);
    const name = nameArgument(positionals, usage);
    const r = await suspendAsPerson(ctx, name, suspend, { person: ctx.person });
    const s = r.template.schedule;
    await ctx.io.print(
      suspend
        ? `Paused the schedule of ${name}: no slot starts until "deckhand schedules resume ${name}".\n`
        : `Resumed the schedule of ${name}; next run ${s?.next_runs[0] ?? 'none'} (${s?.tz ?? 'UTC'}). Slots missed while paused follow its catch_up policy.\n`,
    );
    return 0;
  };
}

export const schedulesPause = pauser(SCHEDULES_PAUSE_USAGE, true);
export const schedulesResume = pauser(SCHEDULES_RESUME_USAGE, false);

export async function schedulesNext(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommand(args, { count: { type: 'string' } }, SCHEDULES_NEXT_USAGE, 1);
  const name = nameArgument(positionals, SCHEDULES_NEXT_USAGE);
  const count = intOption(values, 'count', 1, 100, SCHEDULES_NEXT_USAGE) ?? 5;
  const t = await ctx.templates.get(name);
  const spec = (t.definition as { schedule?: Parameters<typeof nextRunTimes>[0] | null }).schedule;
  if (!spec) throw new CliError(`Template "${name}" has no schedule.`);
  const times = nextRunTimes(spec, new Date(), count);
  if (t.status !== 'enabled') ctx.io.warn(`deckhand: template ${name} is ${t.status}: these slots will not run.`);
  else if ((spec as { suspend?: boolean }).suspend)
    ctx.io.warn(`deckhand: the schedule is paused: these slots will not run until it is resumed.`);
  await ctx.io.print(times.length ? `${times.join('\n')}\n` : 'No slot left (a one-shot schedule that has passed).\n');
  return 0;
}
