import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { publicServer } from '../../servers/index.js';
import type { ToolDeps } from './shared/deps.js';
import { guarded, ok } from './shared/results.js';
import { publicServerShape } from './shared/schemas.js';
import { providerServers, providerServerShape } from './shared/provider-servers.js';

export function registerListServersTool(server: McpServer, deps: Pick<ToolDeps, 'provisioning' | 'servers'>): void {
  server.registerTool(
    'list-servers',
    {
      title: 'List servers',
      description:
        'Registered servers (address, user, host key, labels, via). With a Hetzner token, also the servers at the ' +
        'provider (status, IP, price, whether deckhand made them).',
      inputSchema: z.object({}).strict(),
      outputSchema: {
        servers: z.array(z.object(publicServerShape)),
        provider_servers: z.array(providerServerShape).optional(),
        provider_error: z.string().optional(),
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    guarded(async (_args, extra) => {
      const servers = (await deps.servers.list()).map(publicServer);
      const text = servers.length
        ? servers.map((s) => `${s.name}\t${s.user}@${s.host}:${s.port}\t${s.host_key_fingerprint}`).join('\n')
        : 'No servers registered. Add one with add-server.';
      if (!deps.provisioning.hasProvider) return ok({ servers }, text);
      const provider = await providerServers(deps, extra.signal);
      return ok({ servers, ...provider.structured }, `${text}\n${provider.text}`);
    }),
  );
}
