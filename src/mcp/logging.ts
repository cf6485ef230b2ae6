import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import type { Job } from '../jobs/index.js';
import type { JobChanges, JobLifecycle } from '../jobs/index.js';
import { jobLogUri } from './links.js';

export const JOB_LOGGER = 'deckhand.jobs';

/** The level each lifecycle step is logged at; logging/setLevel filters on it. */
export function lifecycleLevel(step: JobLifecycle, job: Job): LoggingLevel {
  switch (step) {
    case 'queued':
      return 'debug';
    case 'started':
    case 'promoted':
      return 'info';
    case 'cancelled':
      return 'notice';
    case 'lost':
      return 'error';
    case 'finished':
      return job.status === 'completed' ? 'info' : 'warning';
  }
}

/** The `data` of a job lifecycle log message: a one-line summary plus the fields a client may act on. */
export function lifecycleData(step: JobLifecycle, job: Job): Record<string, unknown> {
  const what =
    step === 'finished' ? `finished: ${job.status}${job.exit_code !== null ? ` (exit ${job.exit_code})` : ''}` : step;
  const why = job.error && job.error.code !== 'exit_code' ? ` (${job.error.message})` : '';
  return {
    event: step,
    message: `${job.type} job ${job.id}${job.server ? ` on ${job.server}` : ''} ${what}${why}`,
    job_id: job.id,
    type: job.type,
    server: job.server,
    status: job.status,
    exit_code: job.exit_code,
    ...(job.error ? { error: job.error } : {}),
    log: jobLogUri(job.id),
  };
}

/**
 * Sends job lifecycle events to one session as `notifications/message`, through Server.sendLoggingMessage so the
 * level the client chose with logging/setLevel applies. Returns the function that stops it (on session close).
 */
export function attachJobLogging(server: McpServer, changes: JobChanges, onError?: (err: unknown) => void): () => void {
  const inner = server.server;
  const onJob = (job: Job, step: JobLifecycle | undefined) => {
    // Nothing before the client has initialized, nothing for changes that are not lifecycle steps.
    if (!step || !inner.getClientCapabilities()) return;
    inner
      .sendLoggingMessage(
        { level: lifecycleLevel(step, job), logger: JOB_LOGGER, data: lifecycleData(step, job) },
        inner.transport?.sessionId,
      )
      .catch((err: unknown) => onError?.(err));
  };
  changes.events.on('job', onJob);
  const release = changes.retain();
  return () => {
    changes.events.off('job', onJob);
    release();
  };
}
