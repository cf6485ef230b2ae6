import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { DeckhandError } from '../../errors.js';
import type { Job } from '../../jobs/index.js';
import type { UndeployResult } from '../../apps/index.js';
import { admit } from './shared/admit.js';
import { askUser } from './shared/confirm.js';
import type { ToolDeps } from './shared/deps.js';
import { jobAnswer, jobAnswerShape, jobText, syncWaitArg } from './shared/job-answer.js';
import { guarded, ok } from './shared/results.js';
import { serverName } from './shared/schemas.js';
import { waitWithProgress } from '../progress.js';

export function registerUndeployAppTool(
  server: McpServer,
  deps: Pick<ToolDeps, 'apps' | 'config' | 'changes' | 'jobs' | 'safety' | 'session'>,
): void {
  server.registerTool(
    'undeploy-app',
    {
      title: 'Remove a deployed app',
      description:
        'Remove an app deployed with deploy-app (docker stack rm, until its tasks and networks are gone). Its ' +
        'volumes and secrets are kept unless remove_data, so a later deploy-app finds the data. Refused while ' +
        'another app depends on it. The user confirms where the client can ask; elsewhere confirm must be true. ' +
        'Runs as a job.',
      inputSchema: z
        .object({
          server: serverName.describe('Registered server name.'),
          app: z
            .string()
            .regex(/^[a-z0-9][a-z0-9_-]{0,49}$/, 'must be a stack name: 1-50 lower-case letters, digits, "-" or "_"')
            .describe('The deployed stack name (list-apps with server).'),
          remove_data: z.boolean().default(false).describe('Also delete its volumes and secrets, for good.'),
          confirm: z.boolean().default(false).describe('Must be true where the client cannot ask the user; ask first.'),
          sync_wait_s: syncWaitArg,
        })
        .strict(),
      outputSchema: jobAnswerShape,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    guarded(async (args, extra) => {
      const what = `${args.app} on ${args.server}${args.remove_data ? ' with its volumes (all its data)' : ' (its volumes are kept)'}`;
      const gate = await admit(
        server,
        deps,
        {
          tool: 'undeploy-app',
          targets: [
            { server: args.server, action: { kind: 'undeploy-app', app: args.app, removeData: args.remove_data } },
          ],
          args,
          key: { server: args.server, app: args.app, remove_data: args.remove_data },
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
              message: `Remove ${what}?${args.remove_data ? ' The data cannot be recovered.' : ''}`,
              field: args.remove_data ? `Remove ${args.app} and delete its data` : `Remove ${args.app}`,
            },
            { signal: extra.signal, requestId: extra.requestId },
          );
      if (answer.asked && !answer.accepted) {
        await gate.finish('declined by the user');
        return ok({ status: 'declined' }, `Not removed: the user did not confirm removing ${what}.`);
      }
      if (!answer.asked && args.confirm !== true) {
        await gate.finish('not confirmed: confirm was not true');
        throw new DeckhandError('confirmation_required', `undeploy-app removes ${what}.`, {
          hint: 'Ask the user, then call it again with "confirm": true.',
        });
      }
      const submitted = await gate.run(() =>
        deps.apps.submitUndeploy(args.server, args.app, args.remove_data, gate.jobId),
      );
      const job = await waitWithProgress(deps, extra, submitted, (j) =>
        deps.apps.wait(j, args.sync_wait_s * 1000, extra.signal),
      );
      return ok({ ...jobAnswer(job) }, answerText(job));
    }),
  );
}

function answerText(job: Job): string {
  if (job.status !== 'completed') return jobText(job, `undeploy-app ${String(job.params.stack)} on ${job.server}`);
  const r = job.result as UndeployResult;
  const vols = r.volumes_removed.length
    ? ` Removed volumes: ${r.volumes_removed.join(', ')}.`
    : r.volumes_kept.length
      ? ` Kept volumes: ${r.volumes_kept.join(', ')} (undeploy again with remove_data: true to delete them).`
      : '';
  return `${r.stack} is removed from ${r.server}: its services, tasks and networks are gone.${vols} (job ${job.id})`;
}
