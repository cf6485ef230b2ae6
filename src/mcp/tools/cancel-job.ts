import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { withJobLink } from '../links.js';
import type { ToolDeps } from './shared/deps.js';
import { jobIdArg, jobShape, jobSummary, publicJob } from './shared/job-shapes.js';
import { guarded, ok } from './shared/results.js';
import { admit } from './shared/admit.js';

export function registerCancelJobTool(server: McpServer, deps: Pick<ToolDeps, 'jobs' | 'safety' | 'session'>): void {
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
    guarded(async ({ job_id }, extra) => {
      // Stopping work is always allowed; it is recorded like every call that changes something.
      const gate = await admit(
        server,
        deps,
        {
          tool: 'cancel-job',
          targets: [
            {
              server: null,
              action: { kind: 'tool', tool: 'cancel-job', class: 'read-only', why: 'stops a job', words: [job_id] },
            },
          ],
          args: { job_id },
        },
        extra,
      );
      if (!gate.ok) return gate.result;
      const { job, already } = await gate.run(() => deps.jobs.cancel(job_id));
      const text = already
        ? `Job ${job.id} had already finished (${job.status}); nothing to cancel.`
        : job.status === 'cancelled'
          ? `Cancelled. ${jobSummary(job)}`
          : `Cancellation requested; the job is still ${job.status} (the process executing it will stop it). ${jobSummary(job)}`;
      return withJobLink(ok({ job: publicJob(job), changed: !already }, text), job);
    }),
  );
}
