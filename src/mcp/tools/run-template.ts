import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { isTerminal, type Job } from '../../jobs/index.js';
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
import { runRow, runsText } from './shared/runs-view.js';

const { not_before, delay_s, priority } = queueArgs();
const paramValues = () => z.record(envName(), byteLimitedString(32 * 1024));
/** Runs one call may start with `runs`: each is a job (a batch when the template targets several servers). */
const MAX_RUNS = 20;

export const runTemplateInput = z
  .object({
    name: z.string().min(1).max(63),
    params: paramValues().optional().describe('Param values.'),
    runs: z
      .array(z.object({ params: paramValues().optional() }).strict())
      .min(1)
      .max(MAX_RUNS)
      .optional()
      .describe(`Instead of params: several runs, one per param set (at most ${MAX_RUNS}).`),
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
      if (args.runs && args.params)
        return refusedArguments(
          'run-template',
          args,
          [{ path: ['runs'], message: 'give params for one run or runs for several, not both' }],
          parameters,
        );
      const queue = queuePolicies(args, Date.now());
      if (!queue.ok) return refusedArguments('run-template', args, queue.issues, parameters);
      const t = await deps.templates.get(args.name);
      const sets = args.runs?.map((r) => r.params ?? {}) ?? [args.params ?? {}];
      // Refusals that need nobody's approval come first: a disabled template, params that do not fit (any set).
      if (t.status !== 'enabled') await deps.templates.run(args.name, { params: sets[0] });
      const def = definitionOf(t);
      const resolved = sets.map((p) => resolveParams(def.params, p));
      const names = await deps.remoteBash.targetNames(def.target);
      const head = `Template "${t.name}" v${t.version}: `;
      // Each run is admitted on its own: its own audit entry and job, and where policy asks, its own approval.
      const start = async (
        params: Record<string, string>,
        values: Record<string, string> | undefined,
        mode: typeof args.mode,
      ) => {
        const gate = await admit(
          server,
          deps,
          {
            tool: 'run-template',
            targets: names.map((n) => ({ server: n, action: { kind: 'command', command: def.command } })),
            args: { ...args, runs: undefined, params: values },
            key: { template: t.id, version: t.version, params, servers: names },
            command: def.command,
            startsJob: true,
          },
          extra,
        );
        if (!gate.ok) return gate;
        const job = await gate.run(() =>
          deps.templates.run(args.name, {
            params: values,
            queue: queue.policies,
            mode,
            id: gate.jobId,
            signal: extra.signal,
          }),
        );
        return { ok: true as const, job };
      };
      if (!args.runs) {
        const started = await start(resolved[0] ?? {}, args.params, args.mode);
        if (!started.ok) return started.result;
        const job = started.job;
        const settle = () =>
          deps.remoteBash.settle(job, { mode: args.mode, sync_wait_s: args.sync_wait_s, signal: extra.signal });
        const outcome = args.mode === 'background' ? await settle() : await waitWithProgress(deps, extra, job, settle);
        if (outcome.kind !== 'finished' && !isTerminal(outcome.job.status) && args.mode !== 'background')
          deps.changes.promoted(outcome.job);
        return withJobLink(ok(toStructured(outcome), head + formatOutcome(outcome)), outcome.job);
      }
      const jobs: { job: Job; params: Record<string, string> }[] = [];
      for (const [i, values] of args.runs.entries()) {
        const started = await start(resolved[i] ?? {}, values.params, 'background');
        if (!started.ok) {
          // Runs already started stay (each is its own job); the answer says which did and why this one did not.
          if (!jobs.length) return started.result;
          const text = started.result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
          const rows = await Promise.all(
            jobs.map(async (j) =>
              runRow(j.params, await deps.remoteBash.settle(j.job, { mode: 'background', sync_wait_s: 0 })),
            ),
          );
          return {
            isError: true,
            content: [
              {
                type: 'text',
                text: runsText(
                  `${head}run ${i + 1} of ${args.runs.length} was not started:\n${text}\nStarted before it:`,
                  rows,
                ),
              },
            ],
          };
        }
        jobs.push({ job: started.job, params: resolved[i] ?? {} });
      }
      const outcomes = await Promise.all(
        jobs.map((j) =>
          deps.remoteBash.settle(j.job, { mode: args.mode, sync_wait_s: args.sync_wait_s, signal: extra.signal }),
        ),
      );
      const rows = outcomes.map((o, i) => runRow(jobs[i]?.params ?? {}, o));
      const done = rows.filter((r) => !['queued', 'running'].includes(r.status)).length;
      return ok(
        { template: t.name, version: t.version, runs: rows },
        runsText(`${head}${rows.length} runs, ${done} finished.`, rows),
      );
    }),
  );
}
