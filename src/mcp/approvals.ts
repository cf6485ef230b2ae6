import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { errorMessage } from '../errors.js';
import type { SafetyService } from '../safety/index.js';
import { RESOURCE_NOT_FOUND } from './resources.js';

export const APPROVAL_URI_TEMPLATE = 'deckhand://approvals/{id}';

/**
 * deckhand://approvals/{id}: an approval request as JSON (pending, approved, denied, used or expired, who decided,
 * until when), for an assistant told to wait for a person's `deckhand approve`. Pending requests are listed.
 */
export function registerApprovalResource(server: McpServer, safety: SafetyService): void {
  server.registerResource(
    'approval',
    new ResourceTemplate(APPROVAL_URI_TEMPLATE, {
      list: async () => ({
        resources: (await safety.pending()).map((a) => ({
          uri: `deckhand://approvals/${a.id}`,
          name: a.id,
          title: `Waiting for approval: ${a.what}`,
          mimeType: 'application/json',
        })),
      }),
    }),
    {
      title: 'Approval request',
      description:
        "A call that needs a person's approval: its status (pending, approved, denied, used, expired), what it would run and where, until when.",
      mimeType: 'application/json',
    },
    async (uri, { id }) => {
      try {
        const view = await safety.approval(String(id));
        return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(view) }] };
      } catch (err) {
        throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri.href}. ${errorMessage(err)}`, {
          uri: uri.href,
        });
      }
    },
  );
}
