import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { withJobLink } from '../links.js';
import type { ToolDeps } from './shared/deps.js';
import { jobIdArg, jobShape, jobSummary, publicJob } from './shared/job-shapes.js';
import { guarded, ok } from './shared/results.js';

export function registerCancelJobTool(server: McpServer, deps: Pick<ToolDeps, 'jobs'>): void {
  server.registerTool(
    'cancel-job',
    {
      title: 'Cancel a job',
      description:
        "Cancel a job: a queued one leaves the queue; a running command's whole process group gets TERM, then KILL, " +
        'and deckhand confirms it is gone.',
      inputSchema: z.object({ job_id: jobIdArg }).strict(),
      outputSchema: { job: jobShape, changed: z.boolean() },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    guarded(async ({ job_id }) => {
      const { job, already } = await deps.jobs.cancel(job_id);
      const text = already
        ? `Job ${job.id} had already finished (${job.status}); nothing to cancel.`
        : job.status === 'cancelled'
          ? `Cancelled. ${jobSummary(job)}`
          : `Cancellation requested; the job is still ${job.status} (the process executing it will stop it). ${jobSummary(job)}`;
      return withJobLink(ok({ job: publicJob(job), changed: !already }, text), job);
    }),
  );
}
