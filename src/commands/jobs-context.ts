import type { Config } from '../config.js';
import { LowdbJobStore, type JobStore } from '../jobs/store.js';
import type { Job } from '../jobs/types.js';
import { CliError } from './io.js';

/**
 * The job store as a reader and canceller sees it. Built directly, never through a JobEngine: a CLI command
 * must not take the engine lease or run jobs while a deckhand server works on the same DECKHAND_HOME.
 */
export function openJobStore(config: Config): JobStore {
  return new LowdbJobStore(config.home, {
    keepFinished: config.jobs.retainFinished,
    keepDays: config.jobs.retainDays,
    archiveDays: config.jobs.archiveDays,
  });
}

export async function getJobOrFail(store: JobStore, id: string): Promise<Job> {
  const job = await store.get(id);
  if (!job) {
    throw new CliError(
      `No job ${id} in ${store.file}. It may have been pruned by retention; "deckhand jobs list" shows the known ones.`,
    );
  }
  return job;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
