import type { Job } from '../jobs/types.js';
import type { JobFeed } from '../jobs/changes.js';
import { waitProgress, type ToolExtra, type WaitProgress, type WaitProgressOptions } from './progress.js';

export interface JobProgressDeps {
  readonly feed: JobFeed;
  readonly jobs: {
    get(id: string): Promise<Job>;
    read(id: string, opts: { limit: number }): { lines: readonly { text: string }[] };
  };
}

/**
 * Progress notifications for a tool call that waits on a job by its own means (create-server, deploy-app and
 * the like): the job's changes and new log lines are followed through the feed, heartbeats fill the gaps.
 *
 *   const progress = followJobProgress(extra, deps, job.id);
 *   try { job = await svc.wait(job, ms, extra.signal); } finally { await progress.stop(); }
 */
export function followJobProgress(
  extra: ToolExtra,
  deps: JobProgressDeps,
  jobId: string,
  opts?: WaitProgressOptions,
): WaitProgress {
  const progress = waitProgress(extra, opts);
  if (extra._meta?.progressToken === undefined) return progress;
  const lastLine = () => deps.jobs.read(jobId, { limit: 1 }).lines[0]?.text;
  const refresh = () => {
    deps.jobs
      .get(jobId)
      .then((job) => progress.tick(job, lastLine()))
      .catch(() => undefined);
  };
  const onJob = (job: Job) => {
    if (job.id === jobId) progress.tick(job, lastLine());
  };
  const onLines = (id: string) => {
    if (id === jobId) refresh();
  };
  deps.feed.events.on('job', onJob);
  deps.feed.events.on('lines', onLines);
  const release = deps.feed.retain();
  const unwatch = deps.feed.watchLog(jobId);
  refresh();
  return {
    tick: progress.tick,
    async stop() {
      deps.feed.events.off('job', onJob);
      deps.feed.events.off('lines', onLines);
      unwatch();
      release();
      await progress.stop();
    },
  };
}
