import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Job } from '../../jobs/index.js';
import { COMPONENTS } from '../../setup/index.js';
import type { ToolDeps } from './shared/deps.js';
import { jobAnswer, jobAnswerShape, jobText, syncWaitArg } from './shared/job-answer.js';
import { guarded, ok } from './shared/results.js';
import { serverName } from './shared/schemas.js';
import { waitWithProgress } from '../progress.js';
import { admit } from './shared/admit.js';

export function registerSetupServerTool(
  server: McpServer,
  deps: Pick<ToolDeps, 'setup' | 'changes' | 'jobs' | 'safety' | 'session'>,
): void {
  server.registerTool(
    'setup-server',
    {
      title: 'Set up a server for deploys',
      description:
        'Prepare a registered Debian/Ubuntu server for deploy-app, as root or a user with passwordless sudo: wait for cloud-init and the dpkg ' +
        'lock, base packages, Docker Engine (installed from download.docker.com unless `docker version` answers), log rotation in daemon.json ' +
        '(dockerd restarted only if it changed), Swarm, the attachable overlay network deckhand-public, volumes, the Traefik stack (ports 80/443, ' +
        "Let's Encrypt with `email`), and a record in /etc/deckhand/setup.json. Every step checks first, so running it again changes nothing, " +
        'and after a failure it resumes where it stopped. Each step reports ok, changed, failed, skipped (or would-change in a dry run). ' +
        'dry_run runs only the checks. Runs as a job: waits up to sync_wait_s, then answers its job_id (follow it with get-job-status).',
      inputSchema: z
        .object({
          server: serverName.describe('Name of a registered server (see list-servers).'),
          components: z
            .array(z.enum(COMPONENTS))
            .min(1)
            .default([...COMPONENTS])
            .describe('What to set up: "docker", "swarm" (needs docker), "traefik" (needs swarm). Default all three.'),
          email: z
            .string()
            .max(254)
            .regex(/^[^\s@"'`$\\]+@[^\s@"'`$\\]+\.[a-z]{2,}$/i, 'must be an email address')
            .optional()
            .describe(
              "Let's Encrypt account email for Traefik; needed on the first run with traefik, remembered on the server after.",
            ),
          dry_run: z.boolean().default(false).describe('Only run the checks and answer what would change.'),
          sync_wait_s: syncWaitArg,
        })
        .strict(),
      outputSchema: jobAnswerShape,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    guarded(async (args, extra) => {
      const gate = await admit(
        server,
        deps,
        {
          tool: 'setup-server',
          targets: [
            {
              server: args.server,
              action: args.dry_run
                ? { kind: 'tool', tool: 'setup-server', class: 'read-only', why: 'checks only (dry run)' }
                : {
                    kind: 'tool',
                    tool: 'setup-server',
                    class: 'privileged',
                    why: 'installs packages and Docker, sets up Swarm and Traefik as root',
                    words: args.components,
                  },
            },
          ],
          args,
          startsJob: true,
        },
        extra,
      );
      if (!gate.ok) return gate.result;
      const { job: queued, joined } = await gate.run(() => deps.setup.submit(args, gate.jobId));
      if (joined) await gate.finish(`joined job ${queued.id} already under way`);
      const job = await waitWithProgress(deps, extra, queued, (j) =>
        deps.setup.wait(j, args.sync_wait_s * 1000, extra.signal),
      );
      return ok({ ...jobAnswer(job, joined) }, answerText(job));
    }),
  );
}

function answerText(job: Job): string {
  const r = (job.result ?? {}) as { steps?: { name: string; status: string; detail: string }[]; dry_run?: boolean };
  const lines = (r.steps ?? []).map((s) => `  ${s.name}: ${s.status}${s.detail ? ` — ${s.detail}` : ''}`).join('\n');
  const head = jobText(job, `setup-server ${job.server}${r.dry_run ? ' (dry run)' : ''}`);
  return lines ? `${head}\n${lines}` : head;
}
