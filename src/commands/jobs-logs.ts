import { setTimeout as sleep } from 'node:timers/promises';
import type { LogLine } from '../jobs/index.js';
import { removalText } from '../jobs/index.js';
import { isTerminal, type Job } from '../jobs/index.js';
import { intOption, jobIdArgument, oneOf, parseCommand, stringOption } from './args.js';
import { UsageError, type CliOutput } from './io.js';
import type { CliContext } from './table.js';
import { BATCH_TYPE } from '../jobs/index.js';
import { batchLogs } from './batch.js';

export const LOGS_USAGE =
  'deckhand jobs logs ID [--tail N] [-f|--follow] [--stream stdout|stderr] [--grep RE] [--attempt N]';

const PAGE_LINES = 1000;

export interface LogsOptions {
  /** How often a follower looks for new lines and for the end of the job. */
  readonly pollMs?: number;
}

/**
 * Prints a job's log in order; with --follow keeps printing what the executing deckhand appends until the job
 * ends, and exits with a code that reflects how it ended (0 completed, 1 failed or lost, 130 cancelled).
 */
export async function jobsLogs(args: string[], ctx: CliContext, opts: LogsOptions = {}): Promise<number> {
  const { jobs, io } = ctx;
  const { values, positionals } = parseCommand(
    args,
    {
      tail: { type: 'string' },
      follow: { type: 'boolean', short: 'f' },
      stream: { type: 'string' },
      grep: { type: 'string' },
      attempt: { type: 'string' },
    },
    LOGS_USAGE,
    1,
  );
  const id = jobIdArgument(positionals, LOGS_USAGE);
  const tail = intOption(values, 'tail', 0, 1_000_000, LOGS_USAGE);
  const stream = oneOf(values, 'stream', ['stdout', 'stderr'] as const, LOGS_USAGE);
  const grep = compileGrep(stringOption(values, 'grep'));
  // One attempt's lines (a retried job); without it, every attempt's in order.
  const attempt = intOption(values, 'attempt', 1, 1000, LOGS_USAGE);
  let job = await jobs.get(id);
  if (job.type === BATCH_TYPE) {
    job = await batchLogs(jobs, io, job, { follow: values.follow === true, stream, grep, pollMs: opts.pollMs });
    if (values.follow) io.warn(`deckhand: ${outcomeText(job)}.`);
    return values.follow ? outcomeExitCode(job) : 0;
  }
  const printer = new LinePrinter(io, stream === undefined && grep === undefined);
  const read = (o: { cursor?: number; limit: number }) =>
    jobs.read(id, { ...o, stream: stream ?? 'all', grep, attempt });
  /** Prints every line after `cursor`, page by page; returns the cursor after the last line read. */
  const drain = async (cursor: number): Promise<number> => {
    for (;;) {
      const r = await read({ cursor, limit: PAGE_LINES });
      await printer.print(r.lines);
      cursor = r.next_cursor;
      if (!r.has_more || io.closed) return cursor;
    }
  };

  const removed = (await read({ limit: 0 })).removed;
  if (removed) {
    io.warn(`deckhand: ${removalText(removed)}`);
    return values.follow ? outcomeExitCode(job) : 0;
  }
  let cursor: number;
  if (tail === undefined) cursor = await drain(0);
  else {
    const r = await read({ limit: tail });
    await printer.print(r.lines);
    if (r.truncated) io.warn('deckhand: the search stopped at its scan budget; older matches may exist.');
    cursor = r.next_cursor;
  }
  if (!values.follow) return 0;

  for (;;) {
    // The state first, then the lines: the executor writes its last lines before it records the end,
    // so a job seen finished here has nothing left to print after this drain.
    job = await jobs.get(id);
    cursor = await drain(cursor);
    if (io.closed) return 0;
    if (isTerminal(job.status)) break;
    await sleep(opts.pollMs ?? 200);
  }
  io.warn(`deckhand: ${outcomeText(job)}.`);
  return outcomeExitCode(job);
}

function compileGrep(source: string | undefined): RegExp | undefined {
  if (source === undefined) return undefined;
  try {
    return new RegExp(source);
  } catch (err) {
    throw new UsageError(
      `--grep is not a valid regular expression: ${(err as Error).message}. Use JavaScript syntax, e.g. "error|warn".`,
    );
  }
}

export function outcomeExitCode(job: Job): number {
  if (job.status === 'completed') return 0;
  if (job.status === 'cancelled') return 130;
  return 1;
}

export function outcomeText(job: Job): string {
  // Callers end the sentence; messages recorded by the engine usually end one already.
  const message = job.error?.message.replace(/\.+$/, '');
  const detail = message ? `: ${message}` : job.exit_code !== null ? ` (exit code ${job.exit_code})` : '';
  return `job ${job.id} ${job.status}${detail}`;
}

/**
 * Writes lines as the job produced them. System lines (deckhand's own notes) are tagged; an unfiltered reader
 * also says where lines are missing because the capped log rolled them away before they could be printed.
 */
class LinePrinter {
  private last = 0;

  constructor(
    private readonly io: CliOutput,
    private readonly unfiltered: boolean,
  ) {}

  async print(lines: readonly LogLine[]): Promise<void> {
    let text = '';
    let marked = false;
    for (const l of lines) {
      // The reader's cap marker carries the seq of the line before the gap it describes.
      if (l.stream === 'system' && l.seq <= this.last) {
        text += `${systemText(l.text)}\n`;
        marked = true;
        continue;
      }
      if (this.unfiltered && this.last > 0 && l.seq > this.last + 1 && !marked) {
        text += `[… ${l.seq - this.last - 1} lines dropped from the capped log before they could be shown …]\n`;
      }
      marked = false;
      text += l.stream === 'system' ? `${systemText(l.text)}\n` : `${l.text}\n`;
      this.last = l.seq;
    }
    await this.io.print(text);
  }
}

function systemText(t: string): string {
  return t.startsWith('[') ? t : `[deckhand] ${t}`;
}
