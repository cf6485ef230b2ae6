import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { formatMoney, HOST_KEY_LABEL, MANAGED_BY_LABEL, type CreatePlan } from '../../provisioning/index.js';
import { admit } from './shared/admit.js';
import { askUser } from './shared/confirm.js';
import type { ToolDeps } from './shared/deps.js';
import { jobAnswer, jobAnswerShape, jobText, syncWaitArg } from './shared/job-answer.js';
import { guarded, ok } from './shared/results.js';
import { matching, serverName } from './shared/schemas.js';
import { waitWithProgress } from '../progress.js';

// Hetzner's label rules: keys with an optional DNS prefix, values of at most 63 characters.
const LABEL_KEY =
  /^([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/;
const RESERVED = [MANAGED_BY_LABEL.key, HOST_KEY_LABEL];

// A factory: one zod object reused for three fields would be emitted as `$ref`s to the first.
const catalogueName = () =>
  matching(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be a name like "cx23", "fsn1" or "debian-12"');

export const providerLabels = z
  .record(
    z.string().regex(LABEL_KEY, 'label keys are like "env" or "example.com/role" (letters, digits, - _ .)'),
    z.string().regex(LABEL_VALUE, 'label values are at most 63 letters, digits, - _ . and start and end alphanumeric'),
  )
  .refine((r) => Object.keys(r).length <= 32, 'at most 32 labels')
  .refine((r) => !RESERVED.some((k) => k in r), `the labels ${RESERVED.join(' and ')} are deckhand's own`);

const planShape = z.object({
  action: z.enum(['create', 'adopt']),
  name: z.string(),
  provider: z.string(),
  server_type: z.string(),
  location: z.string(),
  image: z.string(),
  labels: z.record(z.string()),
  ssh_key: z.object({ source: z.enum(['deckhand', 'file']), public_key_path: z.string() }),
  specs: z
    .object({
      cores: z.number(),
      memory_gb: z.number(),
      disk_gb: z.number(),
      architecture: z.string(),
      cpu_type: z.string(),
    })
    .optional(),
  price_monthly: z.object({ net: z.number(), gross: z.number(), currency: z.string() }).optional(),
  price_hourly: z.object({ net: z.number(), gross: z.number(), currency: z.string() }).optional(),
  existing: z.object({ id: z.string(), status: z.string(), ipv4: z.string().nullable() }).optional(),
});

function planText(p: CreatePlan): string {
  if (p.action === 'adopt') {
    return `Server "${p.name}" already exists at ${p.provider} (id ${p.existing?.id}, ${p.existing?.status}); deckhand created it and will adopt it: nothing new is ordered.`;
  }
  const specs = p.specs
    ? ` (${p.specs.cores} vCPU, ${p.specs.memory_gb} GB RAM, ${p.specs.disk_gb} GB disk, ${p.specs.architecture})`
    : '';
  return (
    `Create ${p.server_type}${specs} "${p.name}" in ${p.location} with ${p.image} at ${p.provider}: ` +
    `${formatMoney(p.price_monthly)} a month incl. VAT (${p.price_monthly ? `${p.price_monthly.net.toFixed(2)} net` : 'price unknown'}), billed hourly until deleted.`
  );
}

export function registerCreateServerTool(
  server: McpServer,
  deps: Pick<ToolDeps, 'config' | 'provisioning' | 'changes' | 'jobs' | 'safety' | 'session'>,
): void {
  server.registerTool(
    'create-server',
    {
      title: 'Create a cloud server',
      description:
        'Order a Hetzner Cloud server (needs HCLOUD_TOKEN), wait until it boots and register it with a verified ' +
        'host key (injected through cloud-init). dry_run answers the plan and monthly price; otherwise the user ' +
        'confirms the price where the client can ask. Idempotent by name: a retry adopts the server, never orders a ' +
        'second. Runs as a job.',
      inputSchema: z
        .object({
          name: serverName.describe('Lowercase slug like "web-1".'),
          server_type: catalogueName().optional().describe('Default "cx23".'),
          location: catalogueName().optional().describe('e.g. "fsn1" (default: the cheapest with the type).'),
          image: catalogueName().default('debian-12').describe('Default "debian-12".'),
          labels: providerLabels
            .optional()
            .describe('Labels at the provider and in deckhand (keys like env or example.com/role).'),
          ssh_public_key_path: z
            .string()
            .min(1)
            .max(4096)
            .optional()
            .describe("Your public key to authorize instead of deckhand's (its private key beside it)."),
          dry_run: z.boolean().default(false).describe('Only answer the plan and price.'),
          confirm: z.boolean().optional().describe('Confirms the price where the client cannot ask the user.'),
          sync_wait_s: syncWaitArg,
        })
        .strict(),
      outputSchema: { ...jobAnswerShape, plan: planShape.optional() },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    guarded(async (args, extra) => {
      const svc = deps.provisioning;
      const running = await svc.activeJob('create-server', args.name);
      if (running) {
        const job = await waitWithProgress(deps, extra, running, (j) =>
          svc.wait(j, args.sync_wait_s * 1000, extra.signal),
        );
        return ok({ ...jobAnswer(job, true) }, `Joined the create-server job already under way. ${answerText(job)}`);
      }
      const plan = await svc.planCreate(args, extra.signal);
      if (args.dry_run) return ok({ status: 'dry_run', plan }, `Dry run, nothing ordered. ${planText(plan)}`);
      const gate = await admit(
        server,
        deps,
        {
          tool: 'create-server',
          targets: [
            {
              server: null,
              action: {
                kind: 'tool',
                tool: 'create-server',
                class: 'change',
                why: 'orders a server at the provider, billed until deleted',
                words: [args.name],
              },
            },
          ],
          args,
          startsJob: true,
        },
        extra,
      );
      if (!gate.ok) return gate.result;
      if (plan.action === 'create' && !gate.personApproved) {
        const mode = deps.config.provisioning.confirm;
        const answer = await askUser(
          server,
          mode,
          {
            message: `${planText(plan)} Create it?`,
            field: `Order this server for ${formatMoney(plan.price_monthly)} a month`,
          },
          { signal: extra.signal, requestId: extra.requestId },
        );
        if (answer.asked && !answer.accepted) {
          await gate.finish('declined by the user');
          return ok({ status: 'declined', plan }, `Not created: the user did not confirm. ${planText(plan)}`);
        }
        if (!answer.asked && mode === 'always' && args.confirm !== true) {
          await gate.finish('not confirmed: confirm was not true');
          return ok(
            { status: 'confirmation_required', plan },
            `${planText(plan)} DECKHAND_CONFIRM=always and this client cannot ask the user: show them the price and call create-server again with "confirm": true once they agree.`,
          );
        }
      }
      const submitted = await gate.run(() => svc.submitCreate(plan, args, gate.jobId));
      const job = await waitWithProgress(deps, extra, submitted, (j) =>
        svc.wait(j, args.sync_wait_s * 1000, extra.signal),
      );
      return ok({ ...jobAnswer(job), plan }, answerText(job));
    }),
  );
}

function answerText(job: import('../../jobs/index.js').Job): string {
  const r = (job.result ?? {}) as {
    name?: string;
    ipv4?: string;
    adopted?: boolean;
    host_key_fingerprint?: string;
    host_key_trust?: string;
    price_monthly?: { gross: number; currency: string };
    server_type?: string;
    location?: string;
  };
  if (job.status !== 'completed') return jobText(job, `create-server ${String(job.params.name)}`);
  const trust =
    r.host_key_trust === 'first-use'
      ? 'pinned on first use (the server carries no record of an injected key)'
      : 'verified: it is the key deckhand generated and injected through cloud-init';
  return (
    `Server "${r.name}" ${r.adopted ? 'adopted' : 'created'} at ${r.ipv4} (${r.server_type} in ${r.location}, ` +
    `${r.price_monthly ? `${r.price_monthly.gross.toFixed(2)} ${r.price_monthly.currency}/month` : 'price unknown'}) and registered. ` +
    `Host key ${r.host_key_fingerprint} ${trust}. Next: setup-server {"server": "${r.name}"} or remote-bash. (job ${job.id})`
  );
}
