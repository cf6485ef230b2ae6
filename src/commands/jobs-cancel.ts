import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import type { JobStore } from '../jobs/store.js';
import * as T from '../jobs/types.js';
import { intOption, jobIdArgument, parseCommand } from './args.js';
import type { CliOutput } from './io.js';
import { getJobOrFail, openJobStore, sleep } from './jobs-context.js';
import { outcomeText } from './jobs-logs.js';

export const CANCEL_USAGE = 'deckhand jobs cancel ID [--wait SECONDS]';

/**
 * The same change JobEngine.cancel makes, applied through the store only: a queued job is cancelled at once,
 * a running one gets cancel_requested_at, which the deckhand process executing it acts on.
 */
export async function requestCancel(store: JobStore, id: string, now = new Date()): Promise<T.Job | undefined> {
  return store.update(id, (j) => {
    if (T.isTerminal(j.status)) return undefined;
    if (j.status === 'queued') return T.cancelJob(j, now, 'Cancelled before it started.');
    return T.requestCancel(j, now);
  });
}

export async function jobsCancel(config: Config, args: string[], io: CliOutput): Promise<number> {
  const { values, positionals } = parseCommand(args, { wait: { type: 'string' } }, CANCEL_USAGE, 1);
  const id = jobIdArgument(positionals, CANCEL_USAGE);
  const waitS = intOption(values, 'wait', 0, 600, CANCEL_USAGE) ?? 15;
  const store = openJobStore(config);
  const before = await getJobOrFail(store, id);
  if (T.isTerminal(before.status)) {
    await io.print(`Nothing to cancel: ${outcomeText(before)}.\n`);
    return 0;
  }
  let job = (await requestCancel(store, id)) ?? before;
  const deadline = Date.now() + waitS * 1000;
  while (!T.isTerminal(job.status) && Date.now() < deadline) {
    await sleep(Math.min(200, Math.max(0, deadline - Date.now())));
    job = (await store.get(id)) ?? job;
  }
  if (job.status === 'cancelled') {
    await io.print(`Cancelled ${id}${before.status === 'queued' ? ' before it started' : ''}.\n`);
  } else if (T.isTerminal(job.status)) {
    // It ended on its own between our request and the executor's check.
    await io.print(`The job ended before the cancel took effect: ${outcomeText(job)}.\n`);
  } else {
    await io.print(`Cancel of ${id} requested; the running deckhand will stop it.\n`);
    if (!executorSeemsAlive(config.home)) {
      io.warn(
        'deckhand: no deckhand process seems to be running on this DECKHAND_HOME; the job stops when one starts.',
      );
    }
  }
  return 0;
}

/**
 * Whether some process holds the engine lease (see src/jobs/lease.ts): its lock directory exists and is being
 * refreshed. A hint only; the request stands either way.
 */
function executorSeemsAlive(home: string, staleMs = 10_000): boolean {
  try {
    const st = fs.statSync(path.join(home, 'engine.lock'));
    return Date.now() - st.mtimeMs < staleMs;
  } catch {
    return false;
  }
}
