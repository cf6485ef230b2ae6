import { z } from 'zod';
import { isTerminal, type Job } from '../../../jobs/index.js';
import { jobProgressShape } from './job-shapes.js';

/** What create-server, delete-server and setup-server answer once they have a job: its state, and its result once it ended. */
export const jobAnswerShape = {
  status: z.enum([
    'queued',
    'running',
    'completed',
    'failed',
    'cancelled',
    'lost',
    'dry_run',
    'declined',
    'confirmation_required',
    // The call was refused before any job (invalid_argument): error says why.
    'rejected',
  ]),
  job_id: z.string().optional(),
  /** True when the call joined a job that an earlier call had started for the same server. */
  joined: z.boolean().optional(),
  progress: jobProgressShape().optional(),
  error: z
    .object({
      code: z.string(),
      message: z.string(),
      hint: z.string().optional(),
      fields: z.array(z.object({ field: z.string(), problem: z.string(), given: z.string() })).optional(),
    })
    .optional(),
  result: z.record(z.unknown()).optional(),
};

export type JobAnswer = {
  status: z.infer<(typeof jobAnswerShape)['status']>;
  job_id?: string;
  joined?: boolean;
  progress?: Job['progress'];
  error?: { code: string; message: string };
  result?: Record<string, unknown>;
};

export function jobAnswer(job: Job, joined = false): JobAnswer {
  return {
    status: job.status,
    job_id: job.id,
    ...(joined ? { joined } : {}),
    progress: { ...job.progress },
    ...(job.error ? { error: { ...job.error } } : {}),
    ...(job.result && typeof job.result === 'object' ? { result: job.result as Record<string, unknown> } : {}),
  };
}

/** The text for a job that is still going, or the failure line of one that ended badly. */
export function jobText(job: Job, what: string): string {
  if (!isTerminal(job.status)) {
    const step = job.progress.step
      ? ` (step ${job.progress.step}${job.progress.message ? `: ${job.progress.message}` : ''})`
      : '';
    return (
      `${what}: job ${job.id} is ${job.status}${step}. It keeps going in the background: follow it with ` +
      `get-job-status {"job_id": "${job.id}", "wait_s": 20}; stop it with cancel-job.`
    );
  }
  if (job.status === 'completed') return `${what}: completed (job ${job.id}).`;
  return `${what}: ${job.status}${job.error ? ` — ${job.error.message}` : ''} (job ${job.id}; its log: get-job-status {"job_id": "${job.id}"}).`;
}

export const syncWaitArg = z
  .number()
  .min(0)
  .max(300)
  .default(20)
  .describe('Seconds to wait before answering with the job_id (the job goes on).');
