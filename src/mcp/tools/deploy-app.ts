import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Job } from '../../jobs/index.js';
import type { DeployResult } from '../../apps/index.js';
import type { ToolDeps } from './shared/deps.js';
import { jobAnswer, jobAnswerShape, jobText, syncWaitArg } from './shared/job-answer.js';
import { guarded, ok } from './shared/results.js';
import { envMap, serverName } from './shared/schemas.js';
import { waitWithProgress } from '../progress.js';
import { byteLimitedString } from './shared/byte-limit.js';
import { admit } from './shared/admit.js';

export function registerDeployAppTool(
  server: McpServer,
  deps: Pick<ToolDeps, 'apps' | 'changes' | 'jobs' | 'safety' | 'session'>,
): void {
  server.registerTool(
    'deploy-app',
    {
      title: 'Deploy an app on a server',
      description:
        'Deploy a catalogue app (list-apps) or your compose file as a Swarm stack on a server set up by ' +
        'setup-server: dependencies first, pinned images, health checks; waits until every service is healthy (and ' +
        'reachable through Traefik with domain), else rolls back to the previous release, naming the failing ' +
        'service. Secrets are generated once; they and env values are never shown. The same inputs change nothing; ' +
        'omitted env or domain keep the deployed ones. dry_run answers the rendered compose and plan. Runs as a ' +
        'job.',
      inputSchema: z
        .object({
          server: serverName.describe('Registered server name.'),
          app: z.string().max(64).optional().describe('Catalogue app, e.g. "n8n".'),
          compose: byteLimitedString(256 * 1024, { minChars: 1 })
            .optional()
            .describe('Your compose YAML instead of app (up to 256 KiB; prebuilt, pinned images, no build:).'),
          name: z.string().max(50).optional().describe('Stack name (default: the app; required with compose).'),
          env: envMap().optional().describe("The app's settings (list-apps) or your compose's ${VAR}s; secret."),
          domain: z
            .string()
            .max(253)
            .optional()
            .describe('Public host name, routed by Traefik with TLS; "" removes it.'),
          route: z
            .object({
              service: z.string().max(64),
              port: z.number().int().min(1).max(65535),
              probe_path: z.string().startsWith('/').max(512).optional(),
            })
            .strict()
            .optional()
            .describe('With compose and domain: the service and port to route to.'),
          dry_run: z.boolean().default(false).describe('Render and plan only.'),
          sync_wait_s: syncWaitArg,
        })
        .strict(),
      outputSchema: jobAnswerShape,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    guarded(async (args, extra) => {
      const req = {
        server: args.server,
        app: args.app,
        compose: args.compose,
        name: args.name,
        env: args.env,
        domain: args.domain,
        route: args.route,
      };
      if (args.dry_run) {
        const r = await deps.apps.dryRun(req, extra.signal);
        const change =
          r.would_change === undefined
            ? ''
            : r.would_change
              ? ` (deployed now: ${r.current_release ?? 'nothing'})`
              : ' (already deployed: nothing would change)';
        const text =
          `Dry run of ${r.app ?? 'a compose file'} as stack ${r.stack} on ${r.server}: release ${r.release}${change}. Nothing was changed.\n` +
          `${r.warnings.map((w) => `note: ${w}\n`).join('')}--- compose.yml ---\n${r.compose}--- .env ---\n${r.env_file}`;
        return ok({ status: 'dry_run', result: { ...r } }, text);
      }
      const gate = await admit(
        server,
        deps,
        {
          tool: 'deploy-app',
          targets: [{ server: args.server, action: { kind: 'deploy-app', app: args.name ?? args.app ?? 'compose' } }],
          // Settings and the compose file may hold secrets: the log keeps the setting names and a size.
          args: {
            ...args,
            env: args.env ? Object.fromEntries(Object.keys(args.env).map((k) => [k, '***'])) : undefined,
            compose: args.compose === undefined ? undefined : `(${Buffer.byteLength(args.compose)} bytes)`,
          },
          secrets: Object.values(args.env ?? {}),
          key: { ...req, env: args.env ? Object.keys(args.env).sort() : null },
          startsJob: true,
        },
        extra,
      );
      if (!gate.ok) return gate.result;
      const submitted = await gate.run(() => deps.apps.submitDeploy(req, gate.jobId));
      const job = await waitWithProgress(deps, extra, submitted, (j) =>
        deps.apps.wait(j, args.sync_wait_s * 1000, extra.signal),
      );
      return ok({ ...jobAnswer(job) }, answerText(job));
    }),
  );
}

function answerText(job: Job): string {
  const what = `deploy-app ${String(job.params.stack)} on ${job.server}`;
  if (job.status !== 'completed') return jobText(job, what);
  const r = job.result as DeployResult;
  const deps = r.dependencies.map(
    (d) => `${d.stack} ${d.changed ? `deployed (release ${d.release})` : 'already there'}`,
  );
  const head = r.changed
    ? `${r.stack}: release ${r.release} is live${r.url ? ` at ${r.url}` : ''}${r.previous_release ? ` (previous release ${r.previous_release} kept for rollback)` : ''}.`
    : `${r.stack}: release ${r.release} is already deployed and healthy; nothing changed.`;
  return [
    head,
    `services: ${r.services.map((s) => `${s.name} ${s.replicas}`).join(', ')}`,
    ...(deps.length ? [`dependencies: ${deps.join(', ')}`] : []),
    ...r.warnings.map((w) => `note: ${w}`),
    `(job ${job.id}, ${Math.round(r.duration_ms / 100) / 10} s)`,
  ].join('\n');
}
