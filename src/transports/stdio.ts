import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { App } from '../app.js';
import type { Logger } from '../logger.js';

/** Serves one MCP client over stdin/stdout; resolves when the client goes away. */
export async function serveStdio(
  app: App,
  logger: Logger,
  io = { stdin: process.stdin, stdout: process.stdout },
): Promise<void> {
  const server = app.createServer();
  const transport = new StdioServerTransport(io.stdin, io.stdout);
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    io.stdin.once('end', () => resolve());
    io.stdin.once('close', () => resolve());
  });
  await server.connect(transport);
  logger.info({ transport: 'stdio' }, 'deckhand MCP server ready on stdio');
  await closed;
  await server.close().catch(() => undefined);
}
