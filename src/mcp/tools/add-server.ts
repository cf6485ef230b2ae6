import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { describeTrust, publicServer, type AddServerOutcome } from '../../servers/index.js';
import { refusedArguments } from '../argument-validation.js';
import { serverPolicySchema } from '../../policy/index.js';
import { admit } from './shared/admit.js';
import type { ToolDeps } from './shared/deps.js';
import { guarded, ok } from './shared/results.js';
import { envName, hostName, labels, matching, publicServerShape, serverName } from './shared/schemas.js';

const input = z
  .object({
    name: serverName.describe('Lowercase slug, e.g. "web-1" (default: the alias).').optional(),
    host: hostName.optional().describe('Host name or IP address.'),
    ssh_config_host: matching(/^[^\s,!*?]{1,253}$/, 'must be one Host name from the ssh config, without wildcards')
      .optional()
      .describe('Host alias in ~/.ssh/config; given values win.'),
    port: z.number().int().min(1).max(65535).optional().describe('Default 22.'),
    user: matching(/^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$/, 'must be a user name')
      .optional()
      .describe('Login user (default root).'),
    private_key_path: z.string().min(1).max(4096).optional().describe("Key file on deckhand's machine."),
    passphrase_env: envName().optional().describe('Env var holding the key passphrase.'),
    password_env: envName().optional().describe('Env var holding the password.'),
    use_agent: z.boolean().optional().describe('Use the ssh-agent at $SSH_AUTH_SOCK.'),
    host_key_fingerprint: z.string().max(100).optional().describe('Expected host key, "SHA256:…".'),
    via: serverName.describe('Registered server to jump through.').optional(),
    sudo_password_env: envName().optional().describe('Env var holding the sudo password.'),
    labels: labels().optional().describe('Labels like env=prod (keys: lowercase slugs).'),
    policy: serverPolicySchema.optional(),
  })
  .strict();

export function registerAddServerTool(server: McpServer, deps: Pick<ToolDeps, 'servers' | 'safety' | 'session'>): void {
  server.registerTool(
    'add-server',
    {
      title: 'Register a server',
      description:
        'Register an SSH server by name and pin its host key: checked against host_key_fingerprint, else ' +
        'known_hosts, else trusted on first use (the answer says which). Give host (port, user, a key), or ' +
        'ssh_config_host to take them and ProxyJump from ~/.ssh/config. Secrets: pass env var NAMEs.',
      inputSchema: input,
      outputSchema: {
        server: z.object(publicServerShape),
        trust: z.enum(['verified', 'known_hosts', 'first-use']),
        known_hosts: z.object({ at: z.string(), hashed: z.boolean() }).optional(),
        sources: z.record(z.string()).optional(),
        hops: z
          .array(
            z.object({
              name: z.string(),
              registered: z.boolean(),
              trust: z.string().optional(),
            }),
          )
          .optional(),
        notes: z.array(z.string()).optional(),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    guarded(async (args, extra) => {
      if (args.ssh_config_host === undefined) {
        const missing = (['name', 'host'] as const).filter((k) => args[k] === undefined);
        const issues = missing.map((k) => ({ path: [k], message: 'required unless ssh_config_host is given' }));
        if (issues.length) return refusedArguments('add-server', args, issues, Object.keys(input.shape));
      }
      const name = args.name ?? args.ssh_config_host ?? '';
      // The same machine registered again under another name would escape its policy: that needs what a privileged
      // action on each existing entry needs (refused where read-only, asked where "ask"). With ssh_config_host the
      // address is only known once the config is read: the check then compares the alias as ssh would reach it.
      const host = (args.host ?? args.ssh_config_host ?? '').toLowerCase();
      const port = args.port ?? 22;
      const same = (await deps.servers.list()).filter((s) => s.host.toLowerCase() === host && s.port === port);
      const gate = await admit(
        server,
        deps,
        {
          tool: 'add-server',
          targets: [
            {
              server: null,
              action: {
                kind: 'tool',
                tool: 'add-server',
                class: 'change',
                why: "registers a server in deckhand's inventory",
                words: [name],
              },
            },
            ...same.map((s) => ({
              server: s.name,
              action: {
                kind: 'tool' as const,
                tool: 'add-server',
                class: 'privileged' as const,
                why: `registers ${s.host}:${s.port} again, as "${name}", with a policy of its own`,
                words: [name],
              },
            })),
          ],
          args,
        },
        extra,
      );
      if (!gate.ok) return gate.result;
      const o = await gate.run(() => deps.servers.add(args));
      return ok(structured(o), answerText(o));
    }),
  );
}

function structured(o: AddServerOutcome): Record<string, unknown> {
  return {
    server: publicServer(o.server),
    trust: o.trust,
    ...(o.known_hosts ? { known_hosts: o.known_hosts } : {}),
    ...(o.sources ? { sources: o.sources } : {}),
    ...(o.hops
      ? {
          hops: o.hops.map((h) => ({ name: h.name, registered: h.registered, ...(h.trust ? { trust: h.trust } : {}) })),
        }
      : {}),
    ...(o.notes ? { notes: o.notes } : {}),
  };
}

function answerText(o: AddServerOutcome): string {
  const s = o.server;
  const lines = [
    `Registered server "${s.name}" (${s.user}@${s.host}:${s.port}${s.via ? ` via "${s.via}"` : ''}): ${describeTrust({
      trust: o.trust,
      ...(o.known_hosts ? { knownHostsLine: o.known_hosts } : {}),
    })}.`,
    `Host key: ${s.host_key_fingerprint}`,
  ];
  if (o.sources) {
    lines.push(`From ssh_config "${s.ssh_config_host}":`);
    for (const [k, v] of Object.entries(o.sources)) lines.push(`  ${k}: ${v}`);
  }
  for (const h of o.hops ?? []) {
    const how = h.registered
      ? `registered now, ${describeTrust({ trust: h.trust ?? 'first-use', ...(h.known_hosts ? { knownHostsLine: h.known_hosts } : {}) })}`
      : 'already registered, its pinned key used';
    lines.push(`Jump host "${h.name}" (${h.user}@${h.host}:${h.port}): ${how}.`);
  }
  for (const n of o.notes ?? []) lines.push(`Note: ${n}`);
  return lines.join('\n');
}
