import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { DeckhandError } from '../../errors.js';
import type { Job } from '../../jobs/index.js';
import { admit } from './shared/admit.js';
import { askUser } from './shared/confirm.js';
import type { ToolDeps } from './shared/deps.js';
import { jobAnswer, jobAnswerShape, jobText, syncWaitArg } from './shared/job-answer.js';
import { guarded, ok } from './shared/results.js';
import { serverName } from './shared/schemas.js';
import { waitWithProgress } from '../progress.js';

export function registerDeleteServerTool(
  server: McpServer,
  deps: Pick<ToolDeps, 'config' | 'provisioning' | 'changes' | 'jobs' | 'safety' | 'session'>,
): void {
  server.registerTool(
    'delete-server',
    {
      title: 'Delete a cloud server',
      description:
        'Destroy a server create-server made (its disk and data are gone for good) and unregister it. Needs ' +
        "confirm: true, and the user's confirmation where the client can ask. Refuses other servers (forget those " +
        'with remove-server). Runs as a job.',
      inputSchema: z
        .object({
          name: serverName.describe('Registered server name.'),
          confirm: z.boolean().describe('Must be true: the server and its data are destroyed.'),
          sync_wait_s: syncWaitArg,
        })
        .strict(),
      outputSchema: {
        ...jobAnswerShape,
        target: z
          .object({
            name: z.string(),
            provider: z.string(),
            provider_id: z.string().nullable(),
            status: z.string().nullable(),
            ipv4: z.string().nullable(),
            registered: z.boolean(),
          })
          .optional(),
      },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    guarded(async (args, extra) => {
      const svc = deps.provisioning;
      if (args.confirm !== true) {
        throw new DeckhandError(
          'confirmation_required',
          `delete-server destroys "${args.name}" and everything on it.`,
          {
            hint: 'Call it again with "confirm": true once the user has agreed.',
          },
        );
      }
      const running = await svc.activeJob('delete-server', args.name);
      if (running) {
        const job = await waitWithProgress(deps, extra, running, (j) =>
          svc.wait(j, args.sync_wait_s * 1000, extra.signal),
        );
        return ok({ ...jobAnswer(job, true) }, `Joined the delete-server job already under way. ${answerText(job)}`);
      }
      const target = await svc.planDelete(args.name, extra.signal);
      const what = `server "${target.name}"${target.provider_id ? ` (id ${target.provider_id}${target.ipv4 ? `, ${target.ipv4}` : ''})` : ''} at ${target.provider}`;
      const gate = await admit(
        server,
        deps,
        {
          tool: 'delete-server',
          targets: [{ server: target.name, action: { kind: 'delete-server' } }],
          args,
          key: { name: target.name, provider_id: target.provider_id },
          startsJob: true,
        },
        extra,
      );
      if (!gate.ok) return gate.result;
      // A person who just approved this through policy is not asked the same question twice.
      const answer = gate.personApproved
        ? { asked: true, accepted: true }
        : await askUser(
            server,
            deps.config.provisioning.confirm,
            {
              message: `Delete ${what}? Its disk and all data on it are destroyed.`,
              field: `Delete ${target.name} for good`,
            },
            { signal: extra.signal, requestId: extra.requestId },
          );
      if (answer.asked && !answer.accepted) {
        await gate.finish('declined by the user');
        return ok({ status: 'declined', target }, `Not deleted: the user did not confirm deleting ${what}.`);
      }
      const submitted = await gate.run(() => svc.submitDelete(target, gate.jobId));
      const job = await waitWithProgress(deps, extra, submitted, (j) =>
        svc.wait(j, args.sync_wait_s * 1000, extra.signal),
      );
      return ok({ ...jobAnswer(job), target }, answerText(job));
    }),
  );
}

function answerText(job: Job): string {
  if (job.status !== 'completed') return jobText(job, `delete-server ${String(job.params.name)}`);
  const r = (job.result ?? {}) as { name?: string; provider_id?: string; inventory_removed?: boolean };
  return (
    `Server "${r.name}"${r.provider_id ? ` (id ${r.provider_id})` : ''} is deleted at the provider` +
    `${r.inventory_removed ? ' and removed from the inventory with its pinned host key' : ''}. (job ${job.id})`
  );
}
