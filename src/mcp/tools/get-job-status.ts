import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { withJobLink } from '../links.js';
import type { ToolDeps } from './shared/deps.js';
import { formatLines, jobIdArg, jobShape, jobSummary, logLineShape, publicJob } from './shared/job-shapes.js';
import { removalText } from '../../jobs/log/removal.js';
import { guarded, ok } from './shared/results.js';

export function registerGetJobStatusTool(server: McpServer, deps: Pick<ToolDeps, 'jobs'>): void {
  server.registerTool(
    'get-job-status',
    {
      title: 'Job status and logs',
      description:
        'A job (status, progress, exit code, error) and its log lines. Without cursor: the last tail_logs lines; ' +
        'with cursor (a previous next_cursor): the lines after it. wait_s long-polls for new lines or the end. ' +
        'stream and grep filter.',
      inputSchema: z
        .object({
          job_id: jobIdArg,
          tail_logs: z.number().int().min(0).max(1000).default(50).describe('Lines to return.'),
          cursor: z.number().int().min(0).optional().describe('A previous next_cursor: the lines after it.'),
          wait_s: z.number().min(0).max(30).default(0).describe('Seconds to wait for new lines or the end.'),
          stream: z.enum(['all', 'stdout', 'stderr']).default('all'),
          grep: z.string().max(1000).optional().describe('Only lines matching this regex.'),
        })
        .strict(),
      outputSchema: {
        job: jobShape,
        logs: z.array(logLineShape),
        next_cursor: z.number(),
        has_more: z.boolean(),
        total_lines: z.number(),
        log_bytes: z.number(),
        logs_removed: z
          .object({ removed_at: z.string(), reason: z.string(), total_lines: z.number(), log_bytes: z.number() })
          .optional()
          .describe("Present when log retention removed this finished job's log: when, why and how much it held."),
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    guarded(async (args, extra) => {
      const { job, log } = await deps.jobs.status({ ...args, signal: extra.signal });
      const structured = {
        job: publicJob(job),
        logs: log.lines,
        next_cursor: log.next_cursor,
        has_more: log.has_more,
        total_lines: log.total_lines,
        log_bytes: log.log_bytes,
        ...(log.removed ? { logs_removed: log.removed } : {}),
      };
      const more = log.has_more ? `\n(more lines after cursor ${log.next_cursor}: call again with that cursor)` : '';
      const removed = log.removed ? `\n${removalText(log.removed)}` : '';
      return withJobLink(
        ok(
          structured,
          `${jobSummary(job)}\n${formatLines(log.lines)}${more}${removed}\nnext_cursor: ${log.next_cursor}`,
        ),
        job,
      );
    }),
  );
}
