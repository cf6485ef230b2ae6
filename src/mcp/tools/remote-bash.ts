import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { withJobLink } from '../links.js';
import { waitWithProgress } from '../progress.js';
import type { CommandResult, RemoteBashOutcome } from '../../remote-bash/index.js';
import type { ToolDeps } from './shared/deps.js';
import { formatLines, logLineShape } from './shared/job-shapes.js';
import { guarded, ok } from './shared/results.js';
import { envMap, serverName } from './shared/schemas.js';
import { byteLimitedString } from './shared/byte-limit.js';

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
};

export const remoteBashInput = z
  .object({
    server: serverName.describe('Registered server name.'),
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
  })
  .strict();

export function registerRemoteBashTool(
  server: McpServer,
  deps: Pick<ToolDeps, 'remoteBash' | 'changes' | 'jobs'>,
): void {
  server.registerTool(
    'remote-bash',
    {
      title: 'Run a shell command on a server',
      description:
        'Run a bash command on a server, detached: it survives dropped connections and deckhand restarts, its ' +
        'output logged. mode auto waits up to sync_wait_s: you get exit_code, stdout, stderr (long output cut to ' +
        'head and tail), or a job_id to follow with get-job-status and stop with cancel-job. sync waits up to ' +
        'timeout_s; background answers the job_id. A non-zero exit is status "failed". timeout_s kills the command ' +
        'and its children.',
      inputSchema: remoteBashInput,
      outputSchema: outputShape,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    guarded(async (args, extra) => {
      const job = await deps.remoteBash.start({
        server: args.server,
        command: args.command,
        timeout_s: args.timeout_s,
        cwd: args.cwd,
        env: args.env,
        mode: args.mode,
        sudo: args.sudo,
        signal: extra.signal,
      });
      const settle = () =>
        deps.remoteBash.settle(job, { mode: args.mode, sync_wait_s: args.sync_wait_s, signal: extra.signal });
      const outcome = args.mode === 'background' ? await settle() : await waitWithProgress(deps, extra, job, settle);
      if (outcome.kind === 'running' && args.mode !== 'background') deps.changes.promoted(outcome.job);
      return withJobLink(ok(toStructured(outcome), formatOutcome(outcome)), outcome.job);
    }),
  );
}

export function toStructured(o: RemoteBashOutcome): Record<string, unknown> {
  if (o.kind === 'finished') return { ...o.result };
  return { status: o.job.status, job_id: o.job.id, tail: o.tail.lines, next_cursor: o.tail.next_cursor };
}

export function formatOutcome(o: RemoteBashOutcome): string {
  if (o.kind === 'finished') return formatCommandText(o.result);
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
