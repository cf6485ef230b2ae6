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
import { formatLines, logLineShape, scheduledFor } from './shared/job-shapes.js';
import { guarded, ok } from './shared/results.js';
import { envMap, matching, serverName } from './shared/schemas.js';
import { byteLimitedString } from './shared/byte-limit.js';
import { admit } from './shared/admit.js';
import { refusedArguments } from '../argument-validation.js';
import { queueArgs, queuePolicies } from './shared/queue-args.js';

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
  scheduled_for: z.string().optional(),
  batch: batchShape.optional(),
};

export const remoteBashInput = z
  .object({
    server: serverName.optional().describe('Registered server name. Or servers, or selector.'),
    servers: z.array(serverName).min(1).max(1000).optional().describe('Several servers: a batch, one job each.'),
    selector: z
      .string()
      .min(1)
      .max(1024)
      .optional()
      .describe('Every server whose labels match, e.g. "role=web,env!=staging" or "tier in (a,b)".'),
    max_parallel: z.number().int().min(1).max(1000).optional().describe('Batch: most servers at once (default 20).'),
    // A string for both forms: one type in the published schema (some providers refuse anyOf).
    serial: matching(
      /^(\d{1,4}|\d{1,3}%)$/,
      'must be a number of servers as a string, e.g. "2", or a percentage, e.g. "25%"',
    )
      .optional()
      .describe('Batch: rolling waves of N servers ("2") or percent ("25%").'),
    max_failures: z.number().int().min(0).optional().describe('Batch: start no more once more than this many failed.'),
    fail_fast: z.boolean().optional().describe('Batch: stop everything at the first failure.'),
    command: byteLimitedString(256 * 1024, { minChars: 1 }).describe('Run by bash (up to 256 KiB).'),
    timeout_s: z
      .number()
      .int()
      .min(1)
      .max(30 * 24 * 3600)
      .optional()
      .describe('Seconds (default 3600).'),
    cwd: z.string().min(1).max(4096).optional().describe("Default: the login's home."),
    env: envMap().optional().describe('Extra environment; values are never stored.'),
    mode: z.enum(['auto', 'sync', 'background']).default('auto').describe('See the description.'),
    sync_wait_s: z.number().min(0).max(300).default(20).describe('Seconds auto waits.'),
    sudo: z.boolean().default(false).describe("As root via sudo (passwordless, or the server's sudo_password_env)."),
    ...queueArgs(),
    fresh_shell: z.boolean().optional().describe('In a new login shell: sees edits to ~/.profile, ~/.bashrc.'),
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
        'Run a bash command on a server, or on several (servers, selector: a batch of one job per server whose ' +
        'answer lists identical outputs once), detached: it survives dropped connections and deckhand restarts, its ' +
        'output logged. mode auto waits up to sync_wait_s: you get exit_code, stdout, stderr (long output cut to ' +
        'head and tail), or a job_id to follow with get-job-status and stop with cancel-job. sync waits up to ' +
        'timeout_s; background answers the job_id. A non-zero exit is status "failed". timeout_s kills the command ' +
        'and its children.',
      inputSchema: remoteBashInput,
      outputSchema: outputShape,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      // Clients that render MCP Apps show the result in the live job view; the result itself is the same for all.
      _meta: JOB_VIEW_TOOL_META,
    },
    guarded(async (args, extra) => {
      // One target parameter of three is required: a rule a JSON schema every client accepts cannot say, so the gate
      // answers it in its own words.
      const given = (['server', 'servers', 'selector'] as const).filter((k) => args[k] !== undefined);
      if (given.length !== 1) {
        const message =
          given.length === 0
            ? 'required: give server (one), servers (a list) or selector (labels, e.g. "role=web")'
            : `give only one of server, servers and selector (${given.join(' and ')} were given)`;
        return refusedArguments(
          'remote-bash',
          args,
          [{ path: [given[1] ?? 'server'], message }],
          Object.keys(remoteBashInput.shape),
        );
      }
      const queue = queuePolicies(args, Date.now());
      if (!queue.ok) return refusedArguments('remote-bash', args, queue.issues, Object.keys(remoteBashInput.shape));
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
          sudo: args.sudo,
          queue: queue.policies,
          fresh_shell: args.fresh_shell,
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
  const at = scheduledFor(o.job);
  return {
    status: o.job.status,
    job_id: o.job.id,
    ...(at ? { scheduled_for: at } : {}),
    tail: o.tail.lines,
    next_cursor: o.tail.next_cursor,
  };
}

export function formatOutcome(o: RemoteBashOutcome): string {
  if (o.kind === 'finished') return formatCommandText(o.result);
  if (o.kind === 'batch') return batchText(o.view);
  const tail = o.tail.lines.length ? `\nLast lines:\n${formatLines(o.tail.lines)}` : '';
  const at = scheduledFor(o.job);
  if (at)
    return (
      `Job ${o.job.id} is scheduled for ${at} on ${o.job.server}. get-job-status {"job_id": "${o.job.id}"} shows it; ` +
      'cancel-job stops it before it starts.'
    );
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
