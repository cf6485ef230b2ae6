import { followJobProgress } from '../../job-progress.js';
import type { ToolExtra } from '../../progress.js';
import type { Job } from '../../../jobs/types.js';
import type { ToolDeps } from './deps.js';

/**
 * Waits on a job with progress notifications for the call (its steps, its newest log line, heartbeats), so a
 * client that resets its timeout on progress keeps waiting through a long create, setup or deploy.
 */
export async function waitWithProgress(
  deps: ToolDeps,
  extra: ToolExtra,
  job: Job,
  wait: (job: Job) => Promise<Job>,
): Promise<Job> {
  if (!deps.feed) return wait(job);
  const progress = followJobProgress(extra, { feed: deps.feed, jobs: deps.jobs }, job.id);
  try {
    return await wait(job);
  } finally {
    await progress.stop();
  }
}
