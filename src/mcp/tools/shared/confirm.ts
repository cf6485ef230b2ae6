import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { ProvisioningConfig } from '../../../config.js';

export type ConfirmMode = ProvisioningConfig['confirm'];

/** asked: the user saw the question (through the client); accepted: they confirmed it. */
export interface ConfirmAnswer {
  asked: boolean;
  accepted: boolean;
}

export function clientCanElicit(server: McpServer): boolean {
  const caps = server.server.getClientCapabilities()?.elicitation as { form?: unknown; url?: unknown } | undefined;
  // An empty elicitation capability means form mode (the only mode older clients know).
  return caps !== undefined && (caps.form !== undefined || caps.url === undefined);
}

/**
 * Asks the human behind the client a yes/no question through MCP elicitation, where the client supports it and
 * DECKHAND_CONFIRM is not "never". Anything but an explicit yes (decline, cancel, an unchecked box) is a no.
 */
export async function askUser(
  server: McpServer,
  mode: ConfirmMode,
  question: { message: string; field: string },
  opts: { signal?: AbortSignal; requestId?: RequestId },
): Promise<ConfirmAnswer> {
  if (mode === 'never' || !clientCanElicit(server)) return { asked: false, accepted: false };
  const res = await server.server.elicitInput(
    {
      mode: 'form',
      message: question.message,
      requestedSchema: {
        type: 'object',
        properties: { confirm: { type: 'boolean', title: question.field, default: false } },
        required: ['confirm'],
      },
    },
    {
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.requestId !== undefined ? { relatedRequestId: opts.requestId } : {}),
      timeout: 10 * 60_000,
    },
  );
  return { asked: true, accepted: res.action === 'accept' && res.content?.confirm === true };
}
