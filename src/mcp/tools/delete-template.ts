import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { DeckhandError } from '../../errors.js';
import { admit } from './shared/admit.js';
import { askUser, clientCanElicit } from './shared/confirm.js';
import type { ToolDeps } from './shared/deps.js';
import { guarded, ok } from './shared/results.js';

export function registerDeleteTemplateTool(
  server: McpServer,
  deps: Pick<ToolDeps, 'config' | 'templates' | 'safety' | 'session'>,
): void {
  server.registerTool(
    'delete-template',
    {
      title: 'Delete a job template',
      description: "Delete a template and its schedule; its runs stay as jobs. Needs confirm: true or the user's yes.",
      inputSchema: z
        .object({
          name: z.string().min(1).max(63),
          cancel_runs: z.boolean().default(false).describe('Cancel its active runs.'),
          confirm: z.boolean().optional(),
        })
        .strict(),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    guarded(async (args, extra) => {
      const t = await deps.templates.get(args.name);
      const canAsk = deps.config.provisioning.confirm !== 'never' && clientCanElicit(server);
      if (args.confirm !== true && (!canAsk || deps.config.provisioning.confirm === 'always')) {
        throw new DeckhandError(
          'confirmation_required',
          `delete-template removes "${args.name}" (version ${t.version}) with its versions and schedule.`,
          { hint: 'Call it again with "confirm": true once the user has agreed.' },
        );
      }
      // deckhand's own state changes, not a server's (cancelling runs is always allowed, as cancel-job is).
      const action = {
        kind: 'tool' as const,
        tool: 'delete-template',
        class: 'change' as const,
        why: args.cancel_runs ? `deletes template ${t.name} and cancels its runs` : `deletes template ${t.name}`,
        words: [t.name, ...(args.cancel_runs ? ['--cancel-runs'] : [])],
      };
      const gate = await admit(
        server,
        deps,
        {
          tool: 'delete-template',
          targets: [{ server: null, action }],
          args,
          key: { name: t.name, id: t.id, cancel_runs: args.cancel_runs },
        },
        extra,
      );
      if (!gate.ok) return gate.result;
      if (!gate.personApproved && canAsk) {
        const answer = await askUser(
          server,
          deps.config.provisioning.confirm,
          {
            message: `Delete template "${t.name}" (version ${t.version}) with its versions and schedule?${args.cancel_runs ? ' Its queued and running runs are cancelled.' : ''}`,
            field: `Delete ${t.name}`,
          },
          { signal: extra.signal, requestId: extra.requestId },
        );
        if (!answer.accepted) {
          await gate.finish('declined by the user');
          return ok(
            { status: 'declined', name: t.name },
            `Not deleted: the user did not confirm deleting "${t.name}".`,
          );
        }
      }
      const r = await gate.run(() => deps.templates.delete(args.name, { cancel_runs: args.cancel_runs }));
      const cancelled = r.cancelled.length ? ` Cancelled ${r.cancelled.length} run(s): ${r.cancelled.join(', ')}.` : '';
      return ok(
        { status: 'deleted', name: t.name, version: t.version, cancelled: r.cancelled },
        `Template "${t.name}" deleted (it was at version ${t.version}); its past runs stay as jobs.${cancelled}`,
      );
    }),
  );
}
