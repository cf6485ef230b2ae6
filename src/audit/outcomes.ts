import { isTerminal, type Job } from '../jobs/types.js';
import type { AuditLog } from './log.js';

/** The engine's job events (jobs/engine.ts), as much as this needs of them. */
export interface JobEvents {
  on(event: 'job', listener: (job: Job) => void): unknown;
  off(event: 'job', listener: (job: Job) => void): unknown;
}

/** How many recently recorded job ids this process remembers, to skip a repeated end event without a write. */
const REMEMBERED = 2000;

/**
 * Records each job's end in the audit log as an entry of its own (entries are never edited). Listens to the
 * engine of this process, which sees the end of every job it executes and of every queued job cancelled here; the
 * store appends one outcome per job, so instances that both see an end do no harm. The function returned stops
 * listening and waits for appends under way.
 */
export function recordJobOutcomes(o: {
  readonly events: JobEvents;
  readonly audit: AuditLog;
  readonly onError: (err: unknown, context: string) => void;
}): () => Promise<void> {
  const recorded = new Set<string>();
  const pending = new Set<Promise<void>>();
  const onJob = (job: Job) => {
    if (!isTerminal(job.status) || recorded.has(job.id)) return;
    recorded.add(job.id);
    if (recorded.size > REMEMBERED) recorded.delete(recorded.values().next().value as string);
    const p = o.audit
      .appendOutcome({
        event: 'outcome',
        tool: job.type,
        server: job.server ?? undefined,
        job_id: job.id,
        outcome: outcomeOf(job),
      })
      .then(
        () => undefined,
        (err: unknown) => {
          // Another process may still record it; this one forgets it so a later end event can try again.
          recorded.delete(job.id);
          o.onError(err, `audit outcome of ${job.id}`);
        },
      )
      .finally(() => pending.delete(p));
    pending.add(p);
  };
  o.events.on('job', onJob);
  return async () => {
    o.events.off('job', onJob);
    await Promise.all([...pending]);
  };
}

/**
 * Catches up on job ends no instance could record (the store was away at that moment, or the process died between
 * the job's end and its entry): every job named by a recent call entry that has ended and has no outcome entry gets
 * one now. Jobs not ended (or not created yet) are left for their end event. Answers how many were recorded.
 */
export async function recordMissedOutcomes(o: {
  readonly audit: AuditLog;
  readonly getJob: (id: string) => Promise<Job | undefined>;
  readonly since: Date;
}): Promise<number> {
  let n = 0;
  for (const id of await o.audit.jobsWithoutOutcome(o.since, 500)) {
    const job = await o.getJob(id);
    if (!job || !isTerminal(job.status)) continue;
    const entry = await o.audit.appendOutcome({
      event: 'outcome',
      tool: job.type,
      server: job.server ?? undefined,
      job_id: job.id,
      outcome: outcomeOf(job),
    });
    if (entry) n++;
  }
  return n;
}

/** A job's end in a few words: "completed", "failed (exit 2)", "failed: timeout: …", "cancelled", "lost". */
export function outcomeOf(job: Job): string {
  if (job.status === 'completed')
    return job.exit_code !== null && job.exit_code !== 0 ? `completed (exit ${job.exit_code})` : 'completed';
  const exit = job.exit_code !== null ? ` (exit ${job.exit_code})` : '';
  if (job.error && job.error.code !== 'exit_code')
    return `${job.status}${exit}: ${job.error.code}: ${clip(job.error.message)}`;
  return `${job.status}${exit}`;
}

function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > 200 ? `${one.slice(0, 199)}…` : one;
}
