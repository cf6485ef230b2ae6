import fs from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Config } from './config.js';
import { Inventory } from './inventory/inventory.js';
import type { Logger } from './logger.js';
import { CommandService } from './services/commands.js';
import { ServerService } from './services/servers.js';
import { SshPool } from './ssh/pool.js';
import type { ToolDeps } from './tools/deps.js';
import { registerTools } from './tools/index.js';

export interface AppDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly env: NodeJS.ProcessEnv;
}

export interface App {
  /** A new MCP server bound to the shared services: one per stdio process or per HTTP session. */
  createServer(): McpServer;
  readonly deps: ToolDeps;
  close(): Promise<void>;
}

const INSTRUCTIONS =
  'deckhand runs commands on registered Linux servers over SSH. Start with list-servers; register a server with add-server. ' +
  'remote-bash runs a command and answers its exit code and output (cut to head and tail when long).';

/** Builds the application from its collaborators. No side effects beyond creating DECKHAND_HOME. */
export function createApp({ config, logger, env }: AppDeps): App {
  fs.mkdirSync(config.home, { recursive: true, mode: 0o700 });
  const inventory = new Inventory(config.home);
  const pool = new SshPool({
    connectTimeoutMs: config.connectTimeoutMs,
    keepaliveIntervalMs: config.keepaliveIntervalMs,
    env,
    onEvent: (e) => logger.debug(e, 'ssh pool'),
  });
  const deps: ToolDeps = {
    config,
    logger,
    servers: new ServerService(inventory, pool),
    commands: new CommandService(inventory, pool, config.output),
  };
  return {
    deps,
    createServer() {
      const server = new McpServer(
        { name: 'deckhand', version: '0.1.0', title: 'deckhand' },
        { capabilities: { logging: {} }, instructions: INSTRUCTIONS },
      );
      registerTools(server, deps);
      return server;
    },
    async close() {
      await pool.close();
    },
  };
}
