import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { publicServer } from '../../servers/types.js';
import type { ToolDeps } from './shared/deps.js';
import { guarded, ok } from './shared/results.js';
import { publicServerShape, serverName } from './shared/schemas.js';

export function registerRemoveServerTool(server: McpServer, deps: Pick<ToolDeps, 'servers'>): void {
  server.registerTool(
    'remove-server',
    {
      title: 'Forget a server',
      description:
        'Forget a server and its pinned host key (the machine is untouched). Then add-server re-pins a key that ' +
        'changed on purpose.',
      inputSchema: z.object({ name: serverName.describe('Registered server name.') }).strict(),
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
