import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { isTerminal } from '../../jobs/index.js';
import { definitionOf, resolveParams } from '../../templates/index.js';
import { refusedArguments } from '../argument-validation.js';
import { JOB_VIEW_TOOL_META } from '../job-view.js';
import { withJobLink } from '../links.js';
import { waitWithProgress } from '../progress.js';
import { formatOutcome, toStructured } from './remote-bash.js';
import { admit } from './shared/admit.js';
import type { ToolDeps } from './shared/deps.js';
import { queueArgs, queuePolicies } from './shared/queue-args.js';
import { guarded, ok } from './shared/results.js';
import { byteLimitedString } from './shared/byte-limit.js';
import { envName } from './shared/schemas.js';

const { not_before, delay_s, priority } = queueArgs();

export const runTemplateInput = z
  .object({
    name: z.string().min(1).max(63),
    params: z
      .record(envName(), byteLimitedString(32 * 1024))
      .optional()
      .describe('Param values.'),
    not_before,
    delay_s,
    priority,
    mode: z.enum(['auto', 'sync', 'background']).default('auto').describe('As remote-bash.'),
    sync_wait_s: z
      .number()
      .refine((v) => v >= 0 && v <= 300, 'must be from 0 to 300')
      .default(20)
      .describe('Seconds auto waits.'),
  })
  .strict();

export function registerRunTemplateTool(
  server: McpServer,
  deps: Pick<ToolDeps, 'templates' | 'remoteBash' | 'changes' | 'jobs' | 'safety' | 'session'>,
): void {
  server.registerTool(
    'run-template',
    {
      title: 'Run a job template',
      description:
        'Run a template now (a manual run in its history) with its current version and params. Answers like ' +
        'remote-bash: the result, or a job_id after sync_wait_s.',
      inputSchema: runTemplateInput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      _meta: JOB_VIEW_TOOL_META,
    },
    guarded(async (args, extra) => {
      const parameters = Object.keys(runTemplateInput.shape);
      const queue = queuePolicies(args, Date.now());
      if (!queue.ok) return refusedArguments('run-template', args, queue.issues, parameters);
      const t = await deps.templates.get(args.name);
      // Refusals that need nobody's approval come first: a disabled template, params that do not fit.
      if (t.status !== 'enabled') await deps.templates.run(args.name, { params: args.params });
      const def = definitionOf(t);
      const params = resolveParams(def.params, args.params ?? {});
      const names = await deps.remoteBash.targetNames(def.target);
      const gate = await admit(
        server,
        deps,
        {
          tool: 'run-template',
          targets: names.map((n) => ({ server: n, action: { kind: 'command', command: def.command } })),
          args,
          key: { template: t.id, version: t.version, params, servers: names },
          command: def.command,
          startsJob: true,
        },
        extra,
      );
      if (!gate.ok) return gate.result;
      const job = await gate.run(() =>
        deps.templates.run(args.name, {
          params: args.params,
          queue: queue.policies,
          mode: args.mode,
          id: gate.jobId,
          signal: extra.signal,
        }),
      );
      const settle = () =>
        deps.remoteBash.settle(job, { mode: args.mode, sync_wait_s: args.sync_wait_s, signal: extra.signal });
      const outcome = args.mode === 'background' ? await settle() : await waitWithProgress(deps, extra, job, settle);
      if (outcome.kind !== 'finished' && !isTerminal(outcome.job.status) && args.mode !== 'background')
        deps.changes.promoted(outcome.job);
      const head = `Template "${t.name}" v${t.version}: `;
      return withJobLink(ok(toStructured(outcome), head + formatOutcome(outcome)), outcome.job);
    }),
  );
}
