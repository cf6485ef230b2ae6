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
    server: serverName.describe('Name of a registered server (see list-servers).'),
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
    env: envMap()
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
    sudo: z
      .boolean()
      .default(false)
      .describe("Run as root through sudo (passwordless, or the server's sudo_password_env)."),
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
        'Run a bash command (sh where bash is missing) on a registered server. It runs detached on the server, so it survives a dropped ' +
        'connection or a restart of deckhand, and its output is logged line by line. mode "auto" (default) waits up to sync_wait_s: if the ' +
        'command ends by then you get exit_code, stdout and stderr (kept apart; long output cut to head and tail with a marker); if not, you ' +
        'get a job_id while it keeps running: follow it with get-job-status (cursor, wait_s), stop it with cancel-job. mode "sync" waits up to ' +
        'timeout_s; "background" answers the job_id at once. A non-zero exit is a normal result with status "failed". Reaching timeout_s kills ' +
        'the command and everything it started.',
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
