import type { ServerResponse } from 'node:http';
import { errorMessage } from '../errors.js';
import { isTerminal, type Job } from '../jobs/index.js';
import { SECURITY_HEADERS } from './respond.js';
import type { DashboardJobs } from './sources.js';

export interface FollowOptions {
  readonly jobId: string;
  /** Lines after this seq are sent (the page already shows those up to it). */
  readonly cursor: number;
  readonly stream: 'all' | 'stdout' | 'stderr';
  readonly grep?: string | undefined;
  /** Aborted when the browser goes away (or the dashboard closes). */
  readonly signal: AbortSignal;
  /** Each long-poll waits this long for lines before a keep-alive comment goes out. */
  readonly waitS?: number;
  /** Lines per event at most. */
  readonly batch?: number;
}

/** What the page needs to redraw a job's state without a reload. */
export function jobState(j: Job) {
  return {
    status: j.status,
    exit_code: j.exit_code,
    finished_at: j.finished_at,
    error: j.error,
    cancel_requested_at: j.cancel_requested_at,
  };
}

/**
 * Follows a job's log as Server-Sent Events over the job service's long-poll (the same cursor get-job-status
 * uses), so it sees lines written by whichever process runs the job. Events: `lines` (id: the cursor after them,
 * which a reconnecting EventSource sends back as Last-Event-ID), `job` when the state changes, `end` once the job
 * is over and every line was sent, `failure` when the log cannot be read. Resolves when the stream ends.
 */
export async function followJobLog(
  jobs: Pick<DashboardJobs, 'status'>,
  res: ServerResponse,
  o: FollowOptions,
): Promise<void> {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    // Proxies that buffer would hold the lines back until the job ends.
    'x-accel-buffering': 'no',
  });
  const send = (event: string, data: unknown, id?: number) =>
    res.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  res.write('retry: 2000\n\n');
  let cursor = o.cursor;
  let lastState = '';
  try {
    while (!o.signal.aborted) {
      const { job, log } = await jobs.status({
        job_id: o.jobId,
        cursor,
        tail_logs: o.batch ?? 500,
        wait_s: o.waitS ?? 10,
        stream: o.stream,
        grep: o.grep,
        signal: o.signal,
      });
      if (o.signal.aborted) break;
      let sent = false;
      if (log.lines.length > 0 || log.next_cursor !== cursor) {
        cursor = Math.max(cursor, log.next_cursor);
        send('lines', { lines: log.lines }, cursor);
        sent = true;
      }
      const state = JSON.stringify(jobState(job));
      if (state !== lastState) {
        lastState = state;
        send('job', jobState(job));
        sent = true;
      }
      if (isTerminal(job.status) && !log.has_more) {
        send('end', { status: job.status });
        break;
      }
      if (!sent) res.write(': waiting\n\n');
    }
  } catch (err) {
    if (!o.signal.aborted) send('failure', { message: errorMessage(err) });
  } finally {
    res.end();
  }
}
