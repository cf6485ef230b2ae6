import type { HandlerOutcome } from './handler.js';
import * as T from './types.js';
import type { Job } from './types.js';

type Settled = Exclude<HandlerOutcome, { kind: 'abandon' }>;

const SUMMARY: Record<Settled['kind'], string> = {
  exit: '',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  timeout: 'timed out',
  lost: 'lost',
  requeue: 'requeued',
};

/** The system line a job's log ends with for this outcome. */
export function outcomeLine(o: Settled): string {
  if (o.kind === 'exit') return `exit status ${o.exit_code}`;
  const why = 'message' in o ? `: ${o.message}` : 'error' in o ? `: ${o.error.message}` : '';
  return `job ${SUMMARY[o.kind]}${why}`;
}

/** The record a handler's outcome makes of a job; undefined when the job already ended (nothing to change). */
export function applyOutcome(j: Job, o: Settled, now: Date): Job | undefined {
  if (T.isTerminal(j.status)) return undefined;
  switch (o.kind) {
    case 'exit':
      return T.exitJob(j, o.exit_code, now, o.result);
    case 'completed':
      return T.completeJob(j, now, o.result);
    case 'failed':
      return T.failJob(j, o.error, now, { exit_code: o.exit_code ?? null, result: o.result });
    case 'cancelled':
      return T.cancelJob(j, now, o.message, { exit_code: o.exit_code ?? null, result: o.result });
    case 'timeout':
      return { ...T.timeoutJob(j, now, o.message), exit_code: o.exit_code ?? null, result: o.result ?? null };
    case 'lost':
      return T.loseJob(j, now, o.message);
    case 'requeue':
      // The queue never starts a job with a cancel request, so one asked for meanwhile must end it here.
      return j.cancel_requested_at ? T.cancelJob(j, now, 'Cancelled before the command started.') : T.requeueJob(j);
  }
}
