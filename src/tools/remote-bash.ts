import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { CommandResult } from '../services/commands.js';
import type { ToolDeps } from './deps.js';
import { guarded, ok } from './results.js';
import { envMap, serverName } from './schemas.js';

export const commandResultShape = {
  status: z.enum(['completed', 'failed', 'cancelled']),
  exit_code: z.number().nullable(),
  signal: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  stdout: z.string(),
  stderr: z.string(),
  duration_ms: z.number(),
  truncated: z.object({ stdout: z.boolean(), stderr: z.boolean() }),
};

export function registerRemoteBashTool(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'remote-bash',
    {
      title: 'Run a shell command on a server',
      description:
        'Run a bash command (sh where bash is missing) on a registered server over SSH and return its exit code, stdout and stderr (kept apart). ' +
        'A non-zero exit is a normal result with status "failed". Long output is cut to its head and tail with a marker saying how much was left out. ' +
        'A timeout or a cancellation kills the command and everything it started.',
      inputSchema: z
        .object({
          server: serverName.describe('Name of a registered server (see list-servers).'),
          command: z
            .string()
            .min(1, 'must not be empty')
            .max(256 * 1024)
            .describe('The command line, run by bash -c.'),
          timeout_s: z
            .number()
            .int()
            .min(1)
            .max(30 * 24 * 3600)
            .default(60)
            .describe('Maximum run time in seconds.'),
          cwd: z.string().min(1).max(4096).optional().describe("Directory to run in (default: the user's home)."),
          env: envMap.optional().describe('Extra environment variables for the command.'),
        })
        .strict(),
      outputSchema: commandResultShape,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    guarded(async (args, extra) => {
      const r = await deps.commands.run({
        server: args.server,
        command: args.command,
        timeoutS: args.timeout_s,
        cwd: args.cwd,
        env: args.env,
        signal: extra.signal,
      });
      return ok(toStructured(r), formatCommandText(r));
    }),
  );
}

export function toStructured(r: CommandResult): Record<string, unknown> {
  const { lines: _lines, ...rest } = r;
  return rest;
}

export function formatCommandText(r: CommandResult): string {
  const head =
    r.status === 'completed'
      ? `exit 0 (${r.duration_ms} ms)`
      : r.error
        ? `${r.status}: ${r.error.message}${r.exit_code !== null ? ` exit ${r.exit_code}` : ''}`
        : `${r.status}: exit ${r.exit_code ?? '?'} (${r.duration_ms} ms)`;
  const parts = [head];
  if (r.stdout) parts.push(`--- stdout ---\n${r.stdout}`);
  if (r.stderr) parts.push(`--- stderr ---\n${r.stderr}`);
  return parts.join('\n');
}
