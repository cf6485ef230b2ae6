import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { publicServer } from '../../servers/index.js';
import type { ToolDeps } from './shared/deps.js';
import { guarded, ok } from './shared/results.js';
import { publicServerShape, serverName } from './shared/schemas.js';
import { admit } from './shared/admit.js';

export function registerRemoveServerTool(
  server: McpServer,
  deps: Pick<ToolDeps, 'servers' | 'safety' | 'session'>,
): void {
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
    guarded(async ({ name }, extra) => {
      // Forgetting a server forgets its policy too (a new add-server could loosen it): as much as deleting, for policy.
      const gate = await admit(
        server,
        deps,
        {
          tool: 'remove-server',
          targets: [
            {
              server: name,
              action: {
                kind: 'tool',
                tool: 'remove-server',
                class: 'destructive',
                why: 'forgets the server, its pinned host key and its policy',
              },
            },
          ],
          args: { name },
        },
        extra,
      );
      if (!gate.ok) return gate.result;
      const removed = publicServer(await gate.run(() => deps.servers.remove(name)));
      return ok(
        { removed },
        `Removed server "${removed.name}" and its pinned host key ${removed.host_key_fingerprint}.`,
      );
    }),
  );
}
