import { JOB_STATUSES } from '../jobs/index.js';
import { intOption, oneOf, parseCommand, stringOption } from './args.js';
import { describeWork, formatTime, jobDuration, oneLine, statusLabel, table } from './format.js';
import type { CliContext } from './table.js';

export const LIST_USAGE = 'deckhand jobs list [--status S] [--server NAME] [--type T] [--limit N]';

export async function jobsList(args: string[], { jobs, io }: CliContext): Promise<number> {
  const { values } = parseCommand(
    args,
    { status: { type: 'string' }, server: { type: 'string' }, type: { type: 'string' }, limit: { type: 'string' } },
    LIST_USAGE,
    0,
  );
  const status = oneOf(values, 'status', [...JOB_STATUSES, 'scheduled'] as const, LIST_USAGE);
  const limit = intOption(values, 'limit', 1, 10_000, LIST_USAGE) ?? 20;
  // scheduled: queued jobs waiting for a later time (a delay, or a retry's backoff).
  const filter = {
    ...(status === 'scheduled' ? { not_before_after: Date.now() } : { status }),
    server: stringOption(values, 'server'),
    type: stringOption(values, 'type'),
  };
  const page = await jobs.list(filter, limit);
  if (page.jobs.length === 0) {
    const filtered = Object.values(filter).some((v) => v !== undefined);
    await io.print(filtered ? 'No jobs match.\n' : 'No jobs yet.\n');
    return 0;
  }
  const now = Date.now();
  const rows = page.jobs.map((j) => [
    j.id,
    statusLabel(j),
    oneLine(j.type, 20),
    oneLine(j.server ?? '-', 24),
    formatTime(j.created_at),
    jobDuration(j, now),
    oneLine(describeWork(j), 60),
  ]);
  await io.print(table(['ID', 'STATUS', 'TYPE', 'SERVER', 'CREATED', 'DURATION', 'COMMAND'], rows));
  // On stderr, so the table stays clean for a pipe into awk or grep.
  if (page.next_cursor) io.warn(`(older jobs not shown; raise --limit, e.g. --limit ${limit * 2})`);
  return 0;
}
