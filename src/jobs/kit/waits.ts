import type { JobEngine } from '../engine.js';
import { isTerminal, type Job } from '../types.js';

/** A queued or running job of this type for this server: repeated calls join it instead of starting another. */
export async function findActiveJob(engine: JobEngine, type: string, server: string): Promise<Job | undefined> {
  const active = await engine.store.active();
  return active.find((j) => j.type === type && j.server === server && !isTerminal(j.status));
}

/** Waits up to `ms` for the job to end (the auto mode of remote-bash): the job as it is then. */
export async function waitBriefly(engine: JobEngine, job: Job, ms: number, signal?: AbortSignal): Promise<Job> {
  if (ms <= 0) return job;
  return (await engine.wait(job.id, ms, signal)) ?? job;
}
