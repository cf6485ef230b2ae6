import type { Config } from '../config.js';
import { UsageError, type CliOutput } from './io.js';
import { CANCEL_USAGE, jobsCancel } from './jobs-cancel.js';
import { jobsList, LIST_USAGE } from './jobs-list.js';
import { jobsLogs, LOGS_USAGE } from './jobs-logs.js';
import { jobsShow, SHOW_USAGE } from './jobs-show.js';

export const JOBS_USAGE = [LIST_USAGE, SHOW_USAGE, LOGS_USAGE, CANCEL_USAGE].join('\n');

const COMMANDS: Record<string, (config: Config, args: string[], io: CliOutput) => Promise<number>> = {
  list: jobsList,
  show: jobsShow,
  logs: jobsLogs,
  cancel: jobsCancel,
};

/** `deckhand jobs SUB ...`: reads and cancels jobs of the same DECKHAND_HOME a server may be running on. */
export async function runJobsCommand(config: Config, args: string[], io: CliOutput): Promise<number> {
  const [sub, ...rest] = args;
  // hasOwn: "constructor" must not resolve to Object's own.
  const run = sub !== undefined && Object.hasOwn(COMMANDS, sub) ? COMMANDS[sub] : undefined;
  if (!run) {
    throw new UsageError(
      sub === undefined ? 'Missing the jobs command.' : `Unknown command "deckhand jobs ${sub}".`,
      JOBS_USAGE,
    );
  }
  return run(config, rest, io);
}
