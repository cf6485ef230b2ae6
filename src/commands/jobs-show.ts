import { currentAttempt, endWords, removalText, type LogRemoval } from '../jobs/index.js';
import type { Job } from '../jobs/index.js';
import { formatBytes } from '../format.js';
import { jobIdArgument, parseCommand } from './args.js';
import { describeWork, formatTime, jobDuration, oneLine, statusLabel } from './format.js';
import type { CliContext } from './table.js';
import { BATCH_TYPE } from '../jobs/index.js';
import { showBatch } from './batch.js';

export const SHOW_USAGE = 'deckhand jobs show ID [--json]';

export async function jobsShow(args: string[], { jobs, io }: CliContext): Promise<number> {
  const { values, positionals } = parseCommand(args, { json: { type: 'boolean' } }, SHOW_USAGE, 1);
  const id = jobIdArgument(positionals, SHOW_USAGE);
  const job = await jobs.get(id);
  if (job.type === BATCH_TYPE && !values.json) {
    await showBatch(jobs, io, job);
    return 0;
  }
  if (values.json) {
    await io.print(JSON.stringify(job, null, 2) + '\n');
    return 0;
  }
  const log = await jobs.read(id, { limit: 0 });
  await io.print(describeJob(job, { lines: log.total_lines, bytes: log.log_bytes, removed: log.removed }));
  return 0;
}

/** The record as a person reads it: one field a line, empty fields left out. */
export function describeJob(
  job: Job,
  log: { lines: number; bytes: number; removed?: LogRemoval | undefined },
  now = Date.now(),
): string {
  const rows: [string, string][] = [
    ['status', statusLabel(job)],
    ['type', oneLine(job.type)],
    ['server', oneLine(job.server ?? '-')],
  ];
  const work = describeWork(job);
  if (work) rows.push([typeof job.params.command === 'string' ? 'command' : 'params', oneLine(work)]);
  const { command: _command, ...otherParams } = job.params;
  if (typeof job.params.command === 'string' && Object.keys(otherParams).length) {
    rows.push(['params', oneLine(JSON.stringify(otherParams))]);
  }
  rows.push(['created', formatTime(job.created_at)]);
  if (job.started_at) rows.push(['started', formatTime(job.started_at)]);
  if (job.finished_at) rows.push(['finished', formatTime(job.finished_at)]);
  if (job.started_at) rows.push([job.finished_at ? 'ran for' : 'running for', jobDuration(job, now)]);
  rows.push(['timeout', `${job.timeout_s}s`]);
  if (job.retry) rows.push(['attempts', `${currentAttempt(job)} of ${job.retry.attempts}`]);
  else if (job.attempt > 1) rows.push(['attempt', String(job.attempt)]);
  if (job.not_before) rows.push(['not before', formatTime(job.not_before)]);
  if (job.active_deadline_s !== null) rows.push(['deadline', `${job.active_deadline_s}s over all attempts`]);
  if (job.ttl_after_finished_s !== null) rows.push(['removed', `${job.ttl_after_finished_s}s after it ends`]);
  // Each ended attempt: when, how it ended, and how to read its own log.
  for (const a of job.attempts.length > 1 || job.retry ? job.attempts : [])
    rows.push([
      `attempt ${a.n}`,
      oneLine(
        `${a.started_at ? formatTime(a.started_at) : '-'} → ${formatTime(a.finished_at)}  ${a.status} (${endWords(a)})` +
          `, ${a.log_lines} lines (deckhand jobs logs ${job.id} --attempt ${a.n})`,
      ),
    ]);
  if (job.cancel_requested_at) rows.push(['cancel asked', formatTime(job.cancel_requested_at)]);
  const p = job.progress;
  const progress = [
    p.percent !== undefined ? `${p.percent}%` : '',
    p.step !== undefined ? `step ${p.step}${p.steps_total !== undefined ? `/${p.steps_total}` : ''}` : '',
    p.message ?? '',
  ].filter(Boolean);
  if (progress.length) rows.push(['progress', oneLine(progress.join(', '))]);
  if (job.exit_code !== null) rows.push(['exit code', String(job.exit_code)]);
  if (job.error) rows.push(['error', oneLine(`${job.error.code}: ${job.error.message}`)]);
  if (job.result !== null && job.result !== undefined) rows.push(['result', oneLine(JSON.stringify(job.result), 400)]);
  rows.push([
    'log',
    log.removed
      ? oneLine(removalText(log.removed), 400)
      : `${log.lines} lines, ${formatBytes(log.bytes)} (deckhand jobs logs ${job.id})`,
  ]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return `${job.id}\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}
