import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { publicServer } from '../../servers/index.js';
import type { ToolDeps } from './shared/deps.js';
import { guarded, ok } from './shared/results.js';
import { envName, hostName, labels, publicServerShape, serverName } from './shared/schemas.js';
import { serverPolicySchema } from '../../policy/index.js';
import { admit } from './shared/admit.js';

export function registerAddServerTool(server: McpServer, deps: Pick<ToolDeps, 'servers' | 'safety' | 'session'>): void {
  server.registerTool(
    'add-server',
    {
      title: 'Register a server',
      description:
        'Register an existing SSH server under a short name. Connects once to prove it works and pins its host key: ' +
        'give host_key_fingerprint to verify it, otherwise the key seen now is pinned (trust on first use) and returned for you to compare. ' +
        'Secrets are never stored: pass a key file path, or the NAME of an environment variable holding a password or passphrase.',
      inputSchema: z
        .object({
          name: serverName.describe('Short unique name for the server, a lowercase slug like "web-1".'),
          host: hostName.describe('Host name or IP address.'),
          port: z.number().int().min(1).max(65535).default(22).describe('SSH port.'),
          user: z
            .string()
            .min(1)
            .max(64)
            .regex(/^[A-Za-z0-9._][A-Za-z0-9._-]*$/, 'must be a user name')
            .default('root'),
          private_key_path: z
            .string()
            .min(1)
            .max(4096)
            .optional()
            .describe('Path of a private key file on the machine deckhand runs on.'),
          passphrase_env: envName.optional().describe('NAME of the environment variable holding the key passphrase.'),
          password_env: envName.optional().describe('NAME of the environment variable holding the password.'),
          use_agent: z.boolean().optional().describe('Authenticate with the ssh-agent at $SSH_AUTH_SOCK.'),
          host_key_fingerprint: z
            .string()
            .max(100)
            .optional()
            .describe(
              'Expected host key, "SHA256:..." as `ssh-keygen -lf` prints it. The connection is refused if it differs.',
            ),
          labels: labels.optional().describe('Free-form labels, e.g. {"env": "prod"}.'),
          policy: serverPolicySchema.optional(),
        })
        .strict(),
      outputSchema: { server: z.object(publicServerShape), trust: z.enum(['verified', 'first-use']) },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    guarded(async (args, extra) => {
      // The same machine registered again under another name would escape its policy: that needs what a privileged
      // action on each existing entry needs (refused where read-only, asked where "ask").
      const same = (await deps.servers.list()).filter(
        (s) => s.host.toLowerCase() === args.host.toLowerCase() && s.port === args.port,
      );
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
                words: [args.name],
              },
            },
            ...same.map((s) => ({
              server: s.name,
              action: {
                kind: 'tool' as const,
                tool: 'add-server',
                class: 'privileged' as const,
                why: `registers ${s.host}:${s.port} again, as "${args.name}", with a policy of its own`,
                words: [args.name],
              },
            })),
          ],
          args,
        },
        extra,
      );
      if (!gate.ok) return gate.result;
      const { server: rec, trust } = await gate.run(() => deps.servers.add(args));
      const s = publicServer(rec);
      const how =
        trust === 'verified'
          ? 'Host key verified against the fingerprint you gave and pinned.'
          : 'Host key pinned on first use: compare it with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the server.';
      return ok(
        { server: s, trust },
        `Registered server "${s.name}" (${s.user}@${s.host}:${s.port}). ${how}\nHost key: ${s.host_key_fingerprint}`,
      );
    }),
  );
}
