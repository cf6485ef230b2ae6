import { z } from 'zod';

const status = z.enum(['queued', 'running', 'completed', 'failed', 'cancelled', 'lost']);

/** A batch (a command on several servers) as remote-bash and get-job-status answer it. */
export const batchShape = z.object({
  job_id: z.string(),
  status,
  total: z.number(),
  counts: z.record(z.number()),
  groups: z.array(
    z.object({
      servers: z.string(),
      count: z.number(),
      status,
      exit_code: z.number().nullable(),
      error_code: z.string().optional(),
      stdout: z.string(),
      stderr: z.string(),
    }),
  ),
  servers: z.array(
    z.object({
      server: z.string(),
      job_id: z.string(),
      status,
      exit_code: z.number().nullable(),
      duration_ms: z.number().nullable(),
      error: z.object({ code: z.string(), message: z.string() }).optional(),
    }),
  ),
  next_cursor: z.number().optional(),
});
