import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { JobService } from '../jobs/index.js';

export const POOL_URI = 'deckhand://pool';

/**
 * deckhand://pool: the deckhand instances sharing the job system (alive or not, their slots and running jobs), the
 * running count against the limit per server, the queue by priority and the jobs waiting to be taken over, as JSON.
 * What `deckhand pool` prints for people.
 */
export function registerPoolResource(server: McpServer, jobs: Pick<JobService, 'pool'>): void {
  server.registerResource(
    'pool',
    POOL_URI,
    {
      title: 'Job pool',
      description:
        'The deckhand instances sharing the job system (heartbeat, alive, slots used/max, running jobs), running jobs per server against the limit, queue depth by priority, and jobs of dead instances waiting to be taken over.',
      mimeType: 'application/json',
    },
    async (uri) => ({
      contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(await jobs.pool()) }],
    }),
  );
}
