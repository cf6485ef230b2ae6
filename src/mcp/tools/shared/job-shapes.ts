import { z } from 'zod';
import { currentAttempt, endWords, type Job } from '../../../jobs/index.js';
import type { LogLine } from '../../../jobs/index.js';

/** A job's progress: a step, or counted work (a transfer's bytes, with rate and seconds left). */
export const jobProgressShape = () =>
  z.object({
    percent: z.number().optional(),
    step: z.string().optional(),
    steps_total: z.number().optional(),
    message: z.string().optional(),
    done: z.number().optional(),
    total: z.number().optional(),
    unit: z.string().optional(),
    rate: z.number().optional(),
    eta_s: z.number().optional(),
  });

export const jobShape = z.object({
  id: z.string(),
  type: z.string(),
  server: z.string().nullable(),
  params: z.record(z.unknown()),
  status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled', 'lost']),
  progress: jobProgressShape(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  attempt: z.number(),
  exit_code: z.number().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  result: z.unknown(),
  timeout_s: z.number(),
  cancel_requested_at: z.string().nullable(),
  owner: z.object({ instance: z.string(), host: z.string(), pid: z.number() }).optional(),
  parent_id: z.string().optional(),
  priority: z.enum(['high', 'normal', 'low']).optional(),
  not_before: z.string().optional(),
  scheduled_for: z.string().optional(),
  max_attempts: z.number().optional(),
  attempts: z.array(z.unknown()).optional(),
  template: z.object({ id: z.string(), version: z.number(), trigger: z.string() }).optional(),
});

const PRIORITY = ['high', 'normal', 'low'] as const;
/** Ended attempts a job shows (the newest). */
const SHOWN_ATTEMPTS = 5;

export const logLineShape = z.object({
  seq: z.number(),
  ts: z.number(),
  stream: z.enum(['stdout', 'stderr', 'system']),
  text: z.string(),
});

export const jobIdArg = z.string().max(64).describe('From remote-bash or list-jobs.');

/** The record as tools show it: the runtime block is executor bookkeeping, not for users. */
/** The record as tools show it: executor state left out, scheduling fields only where they say something. */
export function publicJob(j: Job): z.infer<typeof jobShape> {
  return {
    id: j.id,
    type: j.type,
    server: j.server,
    params: { ...j.params },
    status: j.status,
    progress: { ...j.progress },
    created_at: j.created_at,
    started_at: j.started_at,
    finished_at: j.finished_at,
    attempt: j.attempt,
    exit_code: j.exit_code,
    error: j.error,
    result: j.result,
    timeout_s: j.timeout_s,
    cancel_requested_at: j.cancel_requested_at,
    ...(j.owner ? { owner: { ...j.owner } } : {}),
    ...(j.parent_id ? { parent_id: j.parent_id } : {}),
    ...(j.priority !== 1 ? { priority: PRIORITY[j.priority] ?? 'normal' } : {}),
    ...(j.not_before ? { not_before: j.not_before } : {}),
    ...(scheduledFor(j) ? { scheduled_for: scheduledFor(j) } : {}),
    ...(j.retry ? { max_attempts: j.retry.attempts } : {}),
    // The newest attempts only: a record of 100 attempts must not fill a page of list-jobs (each keeps its `n`).
    ...(j.attempts.length > 0 && (j.retry || j.attempts.length > 1)
      ? { attempts: j.attempts.slice(-SHOWN_ATTEMPTS).map((a) => ({ ...a })) }
      : {}),
    ...(j.template ? { template: { ...j.template } } : {}),
  };
}

/** A queued job waiting for its time: when it starts (a delayed job, or a retry's backoff). */
export function scheduledFor(j: Job, now = Date.now()): string | undefined {
  return j.status === 'queued' && j.not_before !== null && Date.parse(j.not_before) > now ? j.not_before : undefined;
}

export function formatLines(lines: readonly LogLine[]): string {
  return lines
    .map((l) =>
      l.stream === 'stdout' ? l.text : l.stream === 'stderr' ? `[stderr] ${l.text}` : `[deckhand] ${l.text}`,
    )
    .join('\n');
}

export function jobSummary(j: Job): string {
  const at = scheduledFor(j);
  const bits = [`${j.id} ${j.type}${j.server ? ` on ${j.server}` : ''}: ${at ? `scheduled for ${at}` : j.status}`];
  if (j.template) bits.push(`template run v${j.template.version} (${j.template.trigger})`);
  if (j.retry) bits.push(`attempt ${currentAttempt(j)} of ${j.retry.attempts}`);
  for (const a of j.attempts.length > 1 || j.retry ? j.attempts.slice(-SHOWN_ATTEMPTS) : [])
    bits.push(`attempt ${a.n} ${a.status} (${endWords(a)})`);
  if (j.exit_code !== null) bits.push(`exit ${j.exit_code}`);
  if (j.error && j.error.code !== 'exit_code') bits.push(`${j.error.code}: ${j.error.message}`);
  if (j.progress.message || j.progress.step)
    bits.push(`progress: ${[j.progress.step, j.progress.message].filter(Boolean).join(' — ')}`);
  return bits.join(', ');
}
