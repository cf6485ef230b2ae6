import { setTimeout as sleep } from 'node:timers/promises';
import * as T from '../jobs/index.js';
import { intOption, jobIdArgument, parseCommand } from './args.js';
import { outcomeText } from './jobs-logs.js';
import type { CliContext } from './table.js';

export const CANCEL_USAGE = 'deckhand jobs cancel ID [--wait SECONDS]';

export async function jobsCancel(args: string[], { jobs, io }: CliContext): Promise<number> {
  const { values, positionals } = parseCommand(args, { wait: { type: 'string' } }, CANCEL_USAGE, 1);
  const id = jobIdArgument(positionals, CANCEL_USAGE);
  const waitS = intOption(values, 'wait', 0, 600, CANCEL_USAGE) ?? 15;
  const before = await jobs.get(id);
  if (T.isTerminal(before.status)) {
    await io.print(`Nothing to cancel: ${outcomeText(before)}.\n`);
    return 0;
  }
  let job = await jobs.requestCancel(id);
  const deadline = Date.now() + waitS * 1000;
  while (!T.isTerminal(job.status) && Date.now() < deadline) {
    await sleep(Math.min(200, Math.max(0, deadline - Date.now())));
    job = await jobs.get(id);
  }
  if (job.status === 'cancelled') {
    await io.print(`Cancelled ${id}${before.status === 'queued' ? ' before it started' : ''}.\n`);
  } else if (T.isTerminal(job.status)) {
    // It ended on its own between our request and the executor's check.
    await io.print(`The job ended before the cancel took effect: ${outcomeText(job)}.\n`);
  } else {
    await io.print(`Cancel of ${id} requested; the running deckhand will stop it.\n`);
    if (!(await jobs.executorAlive())) {
      io.warn(
        'deckhand: no deckhand process seems to be running on this DECKHAND_HOME; the job stops when one starts.',
      );
    }
  }
  return 0;
}
