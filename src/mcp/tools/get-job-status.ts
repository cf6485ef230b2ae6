import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { JOB_VIEW_TOOL_META } from '../job-view.js';
import { withJobLink } from '../links.js';
import type { ToolDeps } from './shared/deps.js';
import { formatLines, jobIdArg, jobShape, jobSummary, logLineShape, publicJob } from './shared/job-shapes.js';
import { removalText } from '../../jobs/index.js';
import { guarded, ok } from './shared/results.js';
import { BATCH_TYPE } from '../../jobs/index.js';
import { batchText } from '../../remote-bash/index.js';
import { batchShape } from './shared/batch-shape.js';

export function registerGetJobStatusTool(server: McpServer, deps: Pick<ToolDeps, 'jobs' | 'remoteBash'>): void {
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
          attempt: z.number().int().min(1).optional().describe("An earlier attempt's lines."),
        })
        .strict(),
      outputSchema: {
        job: jobShape,
        logs: z.array(logLineShape),
        next_cursor: z.number(),
        has_more: z.boolean(),
        total_lines: z.number(),
        log_bytes: z.number(),
        attempt: z.number().optional(),
        logs_removed: z
          .object({ removed_at: z.string(), reason: z.string(), total_lines: z.number(), log_bytes: z.number() })
          .optional()
          .describe("Present when log retention removed this finished job's log: when, why and how much it held."),
        batch: batchShape
          .optional()
          .describe('For a batch (a command on several servers): counts, grouped outputs, a page of servers.'),
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      // Clients that render MCP Apps show the result in the live job view; the result itself is the same for all.
      _meta: JOB_VIEW_TOOL_META,
    },
    guarded(async (args, extra) => {
      const first = await deps.jobs.get(args.job_id);
      if (first.type === BATCH_TYPE) {
        // A batch has no log of its own: its children's states, grouped outputs and a page of servers.
        const view = await deps.remoteBash.batchStatus(first, {
          cursor: args.cursor,
          wait_s: args.wait_s,
          signal: extra.signal,
        });
        const job = await deps.jobs.get(first.id);
        const structured = {
          job: publicJob(job),
          logs: [],
          next_cursor: view.next_cursor ?? 0,
          has_more: view.next_cursor !== undefined,
          total_lines: 0,
          log_bytes: 0,
          batch: view,
        };
        return withJobLink(ok(structured, batchText(view)), job);
      }
      const { job, log } = await deps.jobs.status({ ...args, signal: extra.signal });
      const structured = {
        job: publicJob(job),
        logs: log.lines,
        next_cursor: log.next_cursor,
        has_more: log.has_more,
        total_lines: log.total_lines,
        log_bytes: log.log_bytes,
        ...(log.attempts > 1 ? { attempt: log.attempt } : {}),
        ...(log.removed ? { logs_removed: log.removed } : {}),
      };
      const more = log.has_more ? `\n(more lines after cursor ${log.next_cursor}: call again with that cursor)` : '';
      const removed = log.removed ? `\n${removalText(log.removed)}` : '';
      const which =
        log.attempts > 1 ? `\n(lines of attempt ${log.attempt} of ${log.attempts}; attempt: N reads another)` : '';
      return withJobLink(
        ok(
          structured,
          `${jobSummary(job)}\n${formatLines(log.lines)}${more}${removed}${which}\nnext_cursor: ${log.next_cursor}`,
        ),
        job,
      );
    }),
  );
}
