import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Job } from '../../jobs/types.js';
import type { DeployResult } from '../../apps/deploy/deploy-handler.js';
import type { ToolDeps } from './shared/deps.js';
import { jobAnswer, jobAnswerShape, jobText, syncWaitArg } from './shared/job-answer.js';
import { guarded, ok } from './shared/results.js';
import { envMap, serverName } from './shared/schemas.js';
import { waitWithProgress } from '../progress.js';
import { byteLimitedString } from './shared/byte-limit.js';

export function registerDeployAppTool(server: McpServer, deps: Pick<ToolDeps, 'apps' | 'changes' | 'jobs'>): void {
  server.registerTool(
    'deploy-app',
    {
      title: 'Deploy an app on a server',
      description:
        'Deploy a catalogue app (see list-apps) or your own compose file as a Docker Swarm stack on a server set up with setup-server. ' +
        'A job: deploys missing dependencies first (e.g. postgres for n8n), renders the release with pinned images and health checks, ' +
        'checks Swarm, the deckhand-public network and disk, takes a lock (a second deploy of the same app waits), uploads compose.yml and ' +
        '.env (0600) keeping the previous release, runs docker stack deploy, waits until every service converges and is healthy (plus an ' +
        "HTTP probe through Traefik with the domain's Host header), then records the release. A failure rolls back to the previous release " +
        'and the job fails naming the service, its task errors and its last log lines. Secrets are generated once, kept in DECKHAND_HOME and ' +
        'reused; they and your env values never appear in results or logs. The same inputs again change nothing and say so. Omitted env or ' +
        'domain reuse those of the deployed release. dry_run answers the rendered compose (secrets masked) and the plan without changing ' +
        'anything. Waits up to sync_wait_s, then answers the job_id (follow it with get-job-status).',
      inputSchema: z
        .object({
          server: serverName.describe('Name of a registered server (see list-servers).'),
          app: z.string().max(64).optional().describe('A catalogue app, e.g. "whoami", "n8n" (list-apps).'),
          compose: byteLimitedString(256 * 1024, { minChars: 1 })
            .optional()
            .describe(
              'Your own compose file (YAML, up to 256 KiB of UTF-8) instead of app: prebuilt, pinned images only (build: is refused).',
            ),
          name: z
            .string()
            .max(50)
            .optional()
            .describe('Stack name (default: the app name; required with compose). Lets one app run twice on a server.'),
          env: envMap()
            .optional()
            .describe("Settings: the app's keys (list-apps), or the ${VAR}s of your compose file. Treated as secret."),
          domain: z
            .string()
            .max(253)
            .optional()
            .describe('Public host name Traefik routes to the app, with a TLS certificate. "" removes it.'),
          route: z
            .object({
              service: z.string().max(64),
              port: z.number().int().min(1).max(65535),
              probe_path: z.string().startsWith('/').max(512).optional(),
            })
            .strict()
            .optional()
            .describe('With compose and domain: the service and container port Traefik sends the domain to.'),
          dry_run: z.boolean().default(false).describe('Render and plan only: nothing is changed or stored.'),
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
      const job = await waitWithProgress(deps, extra, await deps.apps.submitDeploy(req), (j) =>
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
