import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { JOB_STATUSES } from '../../jobs/index.js';
import type { ToolDeps } from './shared/deps.js';
import { jobShape, jobSummary, publicJob } from './shared/job-shapes.js';
import { guarded, ok } from './shared/results.js';
import { serverName } from './shared/schemas.js';
import { BATCH_TYPE } from '../../jobs/index.js';
import { progressLine } from '../../remote-bash/index.js';

export function registerListJobsTool(server: McpServer, deps: Pick<ToolDeps, 'jobs' | 'templates'>): void {
  server.registerTool(
    'list-jobs',
    {
      title: 'List jobs',
      description:
        'Jobs, newest first, filtered by status, server, type or template; a command on several servers is one batch (its ' +
        'per-server jobs show under a server filter). Pass next_cursor as cursor for more.',
      inputSchema: z
        .object({
          status: z
            .enum([...JOB_STATUSES, 'scheduled'])
            .optional()
            .describe('scheduled: queued, waiting for its time.'),
          server: serverName.optional(),
          type: z.string().max(64).optional().describe('e.g. "remote-bash".'),
          template: z.string().min(1).max(63).optional().describe("A template's runs."),
          limit: z.number().int().min(1).max(200).default(20),
          cursor: z.string().max(64).optional(),
        })
        .strict(),
      outputSchema: {
        jobs: z.array(jobShape.extend({ children: z.record(z.number()).optional() })),
        next_cursor: z.string().nullable(),
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    guarded(async (args) => {
      // A template by name: unknown names are refused (unknown_template, with where to look), never an empty page.
      const template_id = args.template !== undefined ? (await deps.templates.get(args.template)).id : undefined;
      // A batch is listed once, by its parent; a server filter shows the jobs that ran there, batch children included.
      const page = await deps.jobs.list(
        {
          ...(args.status === 'scheduled' ? { not_before_after: Date.now() } : { status: args.status }),
          server: args.server,
          type: args.type,
          ...(template_id !== undefined ? { template_id } : {}),
          top_level: args.server === undefined,
        },
        args.limit,
        args.cursor,
      );
      const counts = await Promise.all(
        page.jobs.map((j) => (j.type === BATCH_TYPE ? deps.jobs.countChildren(j.id) : undefined)),
      );
      const text = page.jobs.length
        ? page.jobs
            .map((j, i) => {
              const c = counts[i];
              return c
                ? `${jobSummary(j)} [${progressLine(
                    c,
                    Object.values(c).reduce((a, b) => a + b, 0),
                  )}]`
                : jobSummary(j);
            })
            .join('\n')
        : 'No jobs match.';
      return ok(
        {
          jobs: page.jobs.map((j, i) => {
            const c = counts[i];
            return c ? { ...publicJob(j), children: c } : publicJob(j);
          }),
          next_cursor: page.next_cursor,
        },
        text + (page.next_cursor ? `\nnext_cursor: ${page.next_cursor}` : ''),
      );
    }),
  );
}
