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
        'Prepare a Debian/Ubuntu server for deploy-app, as root or with passwordless sudo: Docker, log rotation, ' +
        "Swarm, the deckhand-public network, Traefik on 80/443 with Let's Encrypt (email). Idempotent and " +
        'resumable; each step says ok, changed, failed or skipped. dry_run only checks. Runs as a job.',
      inputSchema: z
        .object({
          server: serverName.describe('Registered server name.'),
          components: z
            .array(z.enum(COMPONENTS))
            .min(1)
            .default([...COMPONENTS])
            .describe('swarm needs docker, traefik needs swarm; default all.'),
          email: z
            .string()
            .max(254)
            .regex(/^[^\s@"'`$\\]+@[^\s@"'`$\\]+\.[a-z]{2,}$/i, 'must be an email address')
            .optional()
            .describe("Let's Encrypt email, needed on the first traefik run."),
          dry_run: z.boolean().default(false).describe('Only check; answer what would change.'),
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
