import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestId } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { JOB_VIEW_TOOL_META } from '../job-view.js';
import { withJobLink } from '../links.js';
import { waitWithProgress } from '../progress.js';
import { isTerminal } from '../../jobs/index.js';
import { batchText, type CommandResult, type RemoteBashOutcome } from '../../remote-bash/index.js';
import { batchShape } from './shared/batch-shape.js';
import type { ToolDeps } from './shared/deps.js';
import { formatLines, logLineShape } from './shared/job-shapes.js';
import { guarded, ok } from './shared/results.js';
import { envMap, serverName } from './shared/schemas.js';
import { byteLimitedString } from './shared/byte-limit.js';
import { admit } from './shared/admit.js';

const outputShape = {
  status: z.enum(['completed', 'failed', 'cancelled', 'lost', 'queued', 'running']),
  job_id: z.string(),
  exit_code: z.number().nullable().optional(),
  signal: z.string().nullable().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  stdout: z.string().optional(),
  stderr: z.string().optional(),
  duration_ms: z.number().optional(),
  truncated: z.object({ stdout: z.boolean(), stderr: z.boolean() }).optional(),
  tail: z.array(logLineShape).optional(),
  next_cursor: z.number().optional(),
  batch: batchShape.optional(),
};

export const remoteBashInput = z
  .object({
    server: serverName.optional().describe('A registered server (see list-servers). Or servers, or selector.'),
    servers: z
      .array(serverName)
      .min(1)
      .max(1000)
      .optional()
      .describe('Run on each of these servers at once (a batch: one job per server).'),
    selector: z
      .string()
      .min(1)
      .max(1024)
      .optional()
      .describe('Run on every server whose labels match, e.g. "role=web,env!=staging" or "tier in (a,b)".'),
    max_parallel: z.number().int().min(1).max(1000).optional().describe('Batch: most servers at once (default 20).'),
    // A string for both forms: one type in the published schema (some providers refuse anyOf).
    serial: z
      .string()
      .regex(/^(\d{1,4}|\d{1,3}%)$/, 'must be a number of servers as a string, e.g. "2", or a percentage, e.g. "25%"')
      .optional()
      .describe(
        'Batch: rolling waves of this many servers ("2") or percent ("25%"); a wave starts when the last one ended.',
      ),
    max_failures: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Batch: once more than this many servers failed, start no more.'),
    fail_fast: z.boolean().optional().describe('Batch: stop everything at the first failure.'),
    command: byteLimitedString(256 * 1024, { minChars: 1 }).describe(
      'The command line, run by bash (up to 256 KiB of UTF-8).',
    ),
    timeout_s: z
      .number()
      .int()
      .min(1)
      .max(30 * 24 * 3600)
      .optional()
      .describe('Maximum run time in seconds (default 3600, DECKHAND_JOB_TIMEOUT_S).'),
    cwd: z.string().min(1).max(4096).optional().describe("Directory to run in (default: the user's home)."),
    env: envMap
      .optional()
      .describe('Extra environment variables. Their values are never stored in job records or logs.'),
    mode: z
      .enum(['auto', 'sync', 'background'])
      .default('auto')
      .describe(
        'auto: wait up to sync_wait_s, then hand back a job; sync: wait up to timeout_s; background: return the job id at once.',
      ),
    sync_wait_s: z
      .number()
      .min(0)
      .max(300)
      .default(20)
      .describe('How long auto mode waits before answering with a job id.'),
  })
  .strict();

export function registerRemoteBashTool(
  server: McpServer,
  deps: Pick<ToolDeps, 'remoteBash' | 'changes' | 'jobs' | 'safety' | 'session'>,
): void {
  server.registerTool(
    'remote-bash',
    {
      title: 'Run a shell command on a server',
      description:
        'Run a bash command on a registered server, or on several at once (servers, or a label selector): one durable job per ' +
        'server, grouped into a batch whose answer lists identical outputs once. A command runs detached on the server, so it ' +
        'survives a dropped connection or a restart of deckhand; its output is logged line by line. mode "auto" (default) waits ' +
        'up to sync_wait_s: if it ends by then you get exit_code, stdout and stderr (long output cut to head and tail with a ' +
        'marker); if not, a job_id while it keeps running: follow it with get-job-status (cursor, wait_s), stop it with ' +
        'cancel-job. "sync" waits up to timeout_s; "background" answers the job_id at once. A non-zero exit is a normal ' +
        'result with status "failed". Reaching timeout_s kills the command and everything it started.',
      inputSchema: remoteBashInput,
      outputSchema: outputShape,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      // Clients that render MCP Apps show the result in the live job view; the result itself is the same for all.
      _meta: JOB_VIEW_TOOL_META,
    },
    guarded(async (args, extra) => {
      const gate = await admitRemoteBash(server, deps, args, extra);
      if (!gate.ok) return gate.result;
      const job = await gate.run(() =>
        deps.remoteBash.start({
          server: args.server,
          servers: args.servers,
          selector: args.selector,
          max_parallel: args.max_parallel,
          serial: args.serial,
          max_failures: args.max_failures,
          fail_fast: args.fail_fast,
          command: args.command,
          timeout_s: args.timeout_s,
          cwd: args.cwd,
          env: args.env,
          mode: args.mode,
          signal: extra.signal,
          id: gate.jobId,
        }),
      );
      const settle = () =>
        deps.remoteBash.settle(job, { mode: args.mode, sync_wait_s: args.sync_wait_s, signal: extra.signal });
      const outcome = args.mode === 'background' ? await settle() : await waitWithProgress(deps, extra, job, settle);
      if (outcome.kind !== 'finished' && !isTerminal(outcome.job.status) && args.mode !== 'background')
        deps.changes.promoted(outcome.job);
      return withJobLink(ok(toStructured(outcome), formatOutcome(outcome)), outcome.job);
    }),
  );
}

/**
 * Policy on a command before it runs (tasks.ts calls it too): the command classified on every server it names (any
 * refusal refuses the whole call), the call in the audit log.
 */
export async function admitRemoteBash(
  server: McpServer,
  deps: Pick<ToolDeps, 'safety' | 'session' | 'remoteBash'>,
  args: z.infer<typeof remoteBashInput>,
  extra: { readonly signal: AbortSignal; readonly requestId: RequestId },
): ReturnType<typeof admit> {
  const envKeys = Object.keys(args.env ?? {}).sort();
  const names = await deps.remoteBash.targetNames(args);
  return admit(
    server,
    deps,
    {
      tool: 'remote-bash',
      targets: names.map((name) => ({ server: name, action: { kind: 'command', command: args.command } })),
      // Env values are secrets: the log keeps their names only.
      args: { ...args, env: args.env ? Object.fromEntries(envKeys.map((k) => [k, '***'])) : undefined },
      secrets: Object.values(args.env ?? {}),
      key: { command: args.command, cwd: args.cwd ?? null, env: envKeys, servers: names },
      command: args.command,
      startsJob: true,
    },
    extra,
  );
}

export function toStructured(o: RemoteBashOutcome): Record<string, unknown> {
  if (o.kind === 'finished') return { ...o.result };
  if (o.kind === 'batch') return { status: o.job.status, job_id: o.job.id, batch: o.view };
  return { status: o.job.status, job_id: o.job.id, tail: o.tail.lines, next_cursor: o.tail.next_cursor };
}

export function formatOutcome(o: RemoteBashOutcome): string {
  if (o.kind === 'finished') return formatCommandText(o.result);
  if (o.kind === 'batch') return batchText(o.view);
  const tail = o.tail.lines.length ? `\nLast lines:\n${formatLines(o.tail.lines)}` : '';
  return (
    `Job ${o.job.id} is ${o.job.status} on ${o.job.server}. Follow it with get-job-status {"job_id": "${o.job.id}", "cursor": ${o.tail.next_cursor}, "wait_s": 20}; ` +
    `stop it with cancel-job.${tail}`
  );
}

export function formatCommandText(r: CommandResult): string {
  const head =
    r.status === 'completed'
      ? `exit 0 (${r.duration_ms} ms)`
      : r.error
        ? `${r.status}: ${r.error.message}${r.exit_code !== null ? ` (exit ${r.exit_code})` : ''}`
        : `${r.status}: exit ${r.exit_code ?? '?'} (${r.duration_ms} ms)`;
  const parts = [head];
  if (r.stdout) parts.push(`--- stdout ---\n${r.stdout}`);
  if (r.stderr) parts.push(`--- stderr ---\n${r.stderr}`);
  parts.push(`(job ${r.job_id})`);
  return parts.join('\n');
}
