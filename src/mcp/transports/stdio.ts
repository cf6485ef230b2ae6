import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Logger } from '../../logger.js';
import type { ServerFactory } from '../server.js';
import { jsonRpcGate } from './jsonrpc-gate.js';

/** Serves one MCP client over stdin/stdout; resolves when the client goes away. */
export async function serveStdio(
  createServer: ServerFactory,
  logger: Logger,
  io: { stdin: Readable; stdout: Writable },
): Promise<void> {
  const server = createServer();
  // Malformed lines are answered here; only valid JSON-RPC reaches the SDK transport.
  const gate = jsonRpcGate((answer) => {
    logger.warn({ code: answer.error.code, id: answer.id }, 'answered a malformed JSON-RPC line');
    io.stdout.write(`${JSON.stringify(answer)}\n`);
  });
  io.stdin.pipe(gate);
  const transport = new StdioServerTransport(gate, io.stdout);
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    io.stdin.once('end', () => resolve());
    io.stdin.once('close', () => resolve());
  });
  await server.connect(transport);
  server.server.onerror = (err) => logger.warn({ err }, 'stdio transport error');
  logger.info({ transport: 'stdio' }, 'deckhand MCP server ready on stdio');
  await closed;
  await server.close().catch(() => undefined);
}
