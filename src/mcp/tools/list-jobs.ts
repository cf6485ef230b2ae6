import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { JOB_STATUSES } from '../../jobs/types.js';
import type { ToolDeps } from './shared/deps.js';
import { jobShape, jobSummary, publicJob } from './shared/job-shapes.js';
import { guarded, ok } from './shared/results.js';
import { serverName } from './shared/schemas.js';

export function registerListJobsTool(server: McpServer, deps: Pick<ToolDeps, 'jobs'>): void {
  server.registerTool(
    'list-jobs',
    {
      title: 'List jobs',
      description: 'Jobs, newest first, filtered by status, server or type; pass next_cursor as cursor for more.',
      inputSchema: z
        .object({
          status: z.enum(JOB_STATUSES).optional(),
          server: serverName.optional(),
          type: z.string().max(64).optional().describe('e.g. "remote-bash".'),
          limit: z.number().int().min(1).max(200).default(20),
          cursor: z.string().max(64).optional(),
        })
        .strict(),
      outputSchema: { jobs: z.array(jobShape), next_cursor: z.string().nullable() },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    guarded(async (args) => {
      const page = await deps.jobs.list(
        { status: args.status, server: args.server, type: args.type },
        args.limit,
        args.cursor,
      );
      const text = page.jobs.length ? page.jobs.map(jobSummary).join('\n') : 'No jobs match.';
      return ok(
        { jobs: page.jobs.map(publicJob), next_cursor: page.next_cursor },
        text + (page.next_cursor ? `\nnext_cursor: ${page.next_cursor}` : ''),
      );
    }),
  );
}
