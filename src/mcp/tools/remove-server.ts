import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { publicServer } from '../../servers/index.js';
import type { ToolDeps } from './shared/deps.js';
import { guarded, ok } from './shared/results.js';
import { publicServerShape, serverName } from './shared/schemas.js';

export function registerRemoveServerTool(server: McpServer, deps: Pick<ToolDeps, 'servers'>): void {
  server.registerTool(
    'remove-server',
    {
      title: 'Forget a server',
      description:
        "Remove a server from deckhand's inventory together with its pinned host key. Does not touch the machine itself. " +
        'Use it, then add-server, to re-pin a host key that changed on purpose.',
      inputSchema: z.object({ name: serverName.describe('Name of the registered server.') }).strict(),
      outputSchema: { removed: z.object(publicServerShape) },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    guarded(async ({ name }) => {
      const removed = publicServer(await deps.servers.remove(name));
      return ok(
        { removed },
        `Removed server "${removed.name}" and its pinned host key ${removed.host_key_fingerprint}.`,
      );
    }),
  );
}
