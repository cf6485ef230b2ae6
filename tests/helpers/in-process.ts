// A real deckhand (createApp) and a real MCP client in one process, linked by the SDK's InMemoryTransport: tool
// tests run in milliseconds without spawning the binary. End-to-end tests of the binary itself use mcp.ts.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createApp, type Deckhand } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { mcpServerFactory } from '../../src/mcp/server.js';

export interface InProcess {
  readonly app: Deckhand;
  readonly client: Client;
  call(name: string, args: Record<string, unknown>, opts?: { signal?: AbortSignal }): Promise<CallToolResult>;
  /** Another session on the same deckhand (as a second HTTP client would have). */
  connect(): Promise<Client>;
  close(): Promise<void>;
}

export async function startInProcess(
  env: Record<string, string>,
  opts: { start?: boolean; clientCapabilities?: ConstructorParameters<typeof Client>[1] } = {},
): Promise<InProcess> {
  const config = loadConfig({ ...env });
  const app = await createApp({
    config,
    logger: silentLogger(),
    env: { ...env },
    process: { pid: process.pid, isAlive: () => true },
  });
  if (opts.start !== false) await app.start();
  const createServer = mcpServerFactory(app.services, silentLogger());
  const clients: Client[] = [];
  const connect = async () => {
    const server = createServer();
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    const client = new Client({ name: 'in-process', version: '1' }, opts.clientCapabilities);
    await client.connect(b);
    clients.push(client);
    return client;
  };
  const client = await connect();
  return {
    app,
    client,
    connect,
    call: async (name, args, o) =>
      (await client.callTool({ name, arguments: args }, undefined, {
        ...(o?.signal ? { signal: o.signal } : {}),
        timeout: 120_000,
      })) as CallToolResult,
    async close() {
      for (const c of clients) await c.close().catch(() => undefined);
      await app.close();
    },
  };
}
