import { z } from 'zod';
import type { Job } from '../../../jobs/types.js';
import type { LogLine } from '../../../jobs/log-format.js';

export const jobShape = z.object({
  id: z.string(),
  type: z.string(),
  server: z.string().nullable(),
  params: z.record(z.unknown()),
  status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled', 'lost']),
  progress: z.object({
    percent: z.number().optional(),
    step: z.string().optional(),
    steps_total: z.number().optional(),
    message: z.string().optional(),
  }),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  attempt: z.number(),
  exit_code: z.number().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  result: z.unknown(),
  timeout_s: z.number(),
  cancel_requested_at: z.string().nullable(),
});

export const logLineShape = z.object({
  seq: z.number(),
  ts: z.number(),
  stream: z.enum(['stdout', 'stderr', 'system']),
  text: z.string(),
});

export const jobIdArg = z
  .string()
  .max(64)
  .describe('A job id as returned by remote-bash or list-jobs, e.g. "job_01JD3Q8X5K2M7N4P6R8S0T2V4W".');

/** The record as tools show it: the runtime block is executor bookkeeping, not for users. */
export function publicJob(j: Job): z.infer<typeof jobShape> {
  const { runtime: _runtime, ...rest } = j;
  return rest as z.infer<typeof jobShape>;
}

export function formatLines(lines: readonly LogLine[]): string {
  return lines
    .map((l) =>
      l.stream === 'stdout' ? l.text : l.stream === 'stderr' ? `[stderr] ${l.text}` : `[deckhand] ${l.text}`,
    )
    .join('\n');
}

export function jobSummary(j: Job): string {
  const bits = [`${j.id} ${j.type}${j.server ? ` on ${j.server}` : ''}: ${j.status}`];
  if (j.exit_code !== null) bits.push(`exit ${j.exit_code}`);
  if (j.error && j.error.code !== 'exit_code') bits.push(`${j.error.code}: ${j.error.message}`);
  if (j.progress.message || j.progress.step)
    bits.push(`progress: ${[j.progress.step, j.progress.message].filter(Boolean).join(' — ')}`);
  return bits.join(', ');
}
