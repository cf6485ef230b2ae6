import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { JobChanges } from '../jobs/index.js';
import type { StatusCounts } from '../jobs/index.js';
import type { Job } from '../jobs/index.js';

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** Progress notifications for one tool call that waits on a job. */
export interface WaitProgress {
  /** The job's latest state and newest output line; sent at once when it changed (at most every minIntervalMs). */
  readonly tick: (job: Job, lastLine: string | undefined) => void;
  /** Stops the notifications and waits for one in flight, so none can follow the call's answer. Call in finally. */
  stop(): Promise<void>;
}

export interface WaitProgressOptions {
  /** Quietest gap allowed: a heartbeat goes out when nothing was sent for this long (default 1000 ms, leaving room under the 2 s promised). */
  readonly heartbeatMs?: number;
  /** Closest two notifications may follow each other (default 200 ms). */
  readonly minIntervalMs?: number;
  readonly now?: () => number;
}

const MAX_MESSAGE = 200;

/**
 * Sends `notifications/progress` while a call waits, when the client asked for them with a progressToken:
 * on every change (a new line, a step, a new state) and as a heartbeat so a client that resets its timeout on
 * progress (Claude Code) keeps waiting. Without a progressToken it does nothing.
 */
export function waitProgress(extra: ToolExtra, opts: WaitProgressOptions = {}): WaitProgress {
  const token = extra._meta?.progressToken;
  if (token === undefined) return { tick: () => undefined, stop: () => Promise.resolve() };
  const heartbeatMs = opts.heartbeatMs ?? 1000;
  const minIntervalMs = opts.minIntervalMs ?? 200;
  const now = opts.now ?? Date.now;
  const started = now();
  let job: Job | undefined;
  let line: string | undefined;
  let sentKey: string | undefined;
  let sentStep: string | undefined;
  let lastSent = 0;
  let count = 0;
  let stopped = false;
  let inflight: Promise<void> = Promise.resolve();

  const key = () =>
    job
      ? `${job.status}\u0000${job.progress.step ?? ''}\u0000${job.progress.message ?? ''}\u0000${line ?? ''}`
      : undefined;
  const send = () => {
    if (stopped || !job) return;
    // Progress must grow with every notification: counted work (a transfer's bytes) is sent as it is, a heartbeat
    // without new work adds one; anything else counts notifications.
    const { done, total } = job.progress;
    count = done === undefined ? count + 1 : Math.max(Math.floor(done), count + 1);
    lastSent = now();
    sentKey = key();
    sentStep = job.progress.step;
    const params = {
      progressToken: token,
      progress: count,
      ...(total !== undefined && done !== undefined && count <= total ? { total } : {}),
      message: messageFor(job, line, lastSent - started),
    };
    inflight = inflight
      .then(() => extra.sendNotification({ method: 'notifications/progress', params }))
      .catch(() => undefined);
  };
  const timer = setInterval(
    () => {
      const since = now() - lastSent;
      if (since >= heartbeatMs || (key() !== sentKey && since >= minIntervalMs)) send();
    },
    Math.min(minIntervalMs, heartbeatMs),
  );
  timer.unref();

  return {
    tick: (j, l) => {
      job = j;
      if (l !== undefined) line = l;
      // A new step goes out at once, so a quick one (lock, upload) is not folded into the next; a job has few.
      const newStep = j.progress.step !== undefined && j.progress.step !== sentStep;
      if (key() !== sentKey && (newStep || now() - lastSent >= minIntervalMs)) send();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inflight;
    },
  };
}

/** `<job> <status> [<step>: <step message>] <s> s: <newest line>`: the step says where a job is, the line what it did last. */
function messageFor(job: Job, line: string | undefined, elapsedMs: number): string {
  const { step: name, message } = job.progress;
  const step = name ? ` [${name}${message ? `: ${message}` : ''}]` : message ? ` [${message}]` : '';
  const head = `${job.id} ${job.status}${step} ${Math.round(elapsedMs / 1000)} s`;
  const last = line?.trim();
  const text = last && last !== message ? `${head}: ${last}` : head;
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
}

export interface JobProgressDeps {
  readonly changes: JobChanges;
  readonly jobs: {
    get(id: string): Promise<Job>;
    read(id: string, opts: { limit: number }): Promise<{ lines: readonly { text: string }[] }>;
    countChildren?(parentId: string): Promise<StatusCounts>;
  };
}

/**
 * Progress notifications for a tool call that waits on a job by its own means (create-server, deploy-app and
 * the like): the job's changes and new log lines are followed through the changes, heartbeats fill the gaps.
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
  // A batch has no log of its own: its progress is its children's counts ("37/50 done, 2 failed") and the newest
  // line any of them wrote. Which jobs are its children is learnt from their records, once each.
  const children = new Map<string, boolean>();
  let newest: string = jobId;
  const isChild = async (id: string) => {
    const known = children.get(id);
    if (known !== undefined) return known;
    const child = (await deps.jobs.get(id).catch(() => undefined))?.parent_id === jobId;
    children.set(id, child);
    return child;
  };
  const lastLine = async () => (await deps.jobs.read(newest, { limit: 1 })).lines[0]?.text;
  const describe = async (job: Job): Promise<Job> => {
    if (job.type !== 'batch' || !deps.jobs.countChildren) return job;
    const c = await deps.jobs.countChildren(job.id);
    const total = Object.values(c).reduce((a, b) => a + b, 0);
    const done = total - c.queued - c.running;
    const bad = c.failed + c.lost;
    return { ...job, progress: { step: 'batch', message: `${done}/${total} done${bad ? `, ${bad} failed` : ''}` } };
  };
  const refresh = () => {
    Promise.all([deps.jobs.get(jobId).then(describe), lastLine()])
      .then(([job, line]) => progress.tick(job, line))
      .catch(() => undefined);
  };
  const onJob = (job: Job) => {
    if (job.id === jobId)
      Promise.all([describe(job), lastLine()])
        .then(([j, line]) => progress.tick(j, line))
        .catch(() => undefined);
    else if (job.parent_id === jobId) {
      children.set(job.id, true);
      refresh();
    }
  };
  const onLines = (id: string) => {
    if (id === jobId) return refresh();
    void isChild(id).then((child) => {
      if (!child) return;
      newest = id;
      refresh();
    });
  };
  deps.changes.events.on('job', onJob);
  deps.changes.events.on('lines', onLines);
  const release = deps.changes.retain();
  const unwatch = deps.changes.watchLog(jobId);
  refresh();
  return {
    tick: progress.tick,
    async stop() {
      deps.changes.events.off('job', onJob);
      deps.changes.events.off('lines', onLines);
      unwatch();
      release();
      await progress.stop();
    },
  };
}

/**
 * Waits on a job with progress notifications for the call (its steps, its newest log line, heartbeats), so a
 * client that resets its timeout on progress keeps waiting through a long command, create, setup or deploy.
 */
export async function waitWithProgress<T>(
  deps: JobProgressDeps,
  extra: ToolExtra,
  job: Job,
  wait: (job: Job) => Promise<T>,
): Promise<T> {
  const progress = followJobProgress(extra, deps, job.id);
  try {
    return await wait(job);
  } finally {
    await progress.stop();
  }
}
