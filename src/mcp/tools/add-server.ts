import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { describeTrust, publicServer, type AddServerOutcome } from '../../servers/index.js';
import type { ToolDeps } from './shared/deps.js';
import { guarded, ok } from './shared/results.js';
import { envName, hostName, labels, publicServerShape, serverName } from './shared/schemas.js';

export function registerAddServerTool(server: McpServer, deps: Pick<ToolDeps, 'servers'>): void {
  server.registerTool(
    'add-server',
    {
      title: 'Register a server',
      description:
        'Register an SSH server under a short name: connects once and pins its host key. Either give host (and port, user, a key), ' +
        "or ssh_config_host to take HostName, User, Port, IdentityFile and ProxyJump from the user's ~/.ssh/config (jump hosts get registered too). " +
        'The key is checked against host_key_fingerprint if given, else against known_hosts, else trusted on first use; the answer says which. ' +
        'Secrets are never stored: give NAMEs of environment variables.',
      inputSchema: z
        .object({
          name: serverName.describe('Lowercase slug like "web-1" (default: the ssh_config_host alias).').optional(),
          host: hostName.optional().describe('Host name or IP address.'),
          ssh_config_host: z
            .string()
            .min(1)
            .max(253)
            .regex(/^[^\s,!*?]+$/, 'must be one Host name from the ssh config, without wildcards')
            .optional()
            .describe('A Host from ~/.ssh/config; values given here win over it.'),
          port: z.number().int().min(1).max(65535).optional().describe('Default 22.'),
          user: z
            .string()
            .min(1)
            .max(64)
            .regex(/^[A-Za-z0-9._][A-Za-z0-9._-]*$/, 'must be a user name')
            .optional()
            .describe('Login user (default root).'),
          private_key_path: z.string().min(1).max(4096).optional().describe("Key file on deckhand's machine."),
          passphrase_env: envName().optional().describe('Env var holding the key passphrase.'),
          password_env: envName().optional().describe('Env var holding the password.'),
          use_agent: z.boolean().optional().describe('Use the ssh-agent at $SSH_AUTH_SOCK.'),
          host_key_fingerprint: z.string().max(100).optional().describe('Expected host key, "SHA256:…".'),
          via: serverName.describe('Registered server to connect through (a bastion).').optional(),
          sudo_password_env: envName().optional().describe("Env var holding the user's sudo password."),
          labels: labels().optional().describe('Labels, e.g. {"env": "prod"}.'),
        })
        .strict(),
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
    guarded(async (args) => {
      const o = await deps.servers.add(args);
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
