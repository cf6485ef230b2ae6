import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolExtra } from './progress.js';

export type InstalledHandler = (request: unknown, extra: ToolExtra) => Promise<unknown>;

/**
 * The request handler installed for `method` (by McpServer or by an earlier wrapper), so deckhand can wrap
 * tools/list and tools/call; the SDK offers no public getter for an installed handler, hence this one private read.
 */
export function installedHandler(server: McpServer, method: string): InstalledHandler {
  const handlers = (server.server as unknown as { _requestHandlers?: Map<string, InstalledHandler> })._requestHandlers;
  const handler = handlers?.get(method);
  if (!handler) throw new Error(`No ${method} handler to wrap: register the tools before installing a wrapper.`);
  return handler;
}
