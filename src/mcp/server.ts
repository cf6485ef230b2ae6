import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Logger } from '../logger.js';
import { packageVersion } from '../version.js';
import { installArgumentValidation } from './argument-validation.js';
import { LiveFeatures } from './live.js';
import { installToolListing } from './tool-listing.js';
import { registerTools } from './tools/index.js';
import type { ToolDeps } from './tools/shared/deps.js';

const INSTRUCTIONS =
  'deckhand runs commands on registered Linux servers over SSH. Start with list-servers; register a server with add-server. ' +
  'remote-bash runs a command: short ones answer at once, long ones become jobs that keep running on the server; follow them with ' +
  'get-job-status (pass next_cursor back as cursor, use wait_s to long-poll) and stop them with cancel-job. list-jobs shows recent jobs.';

/** Makes the McpServer of one MCP session (one per stdio process, one per HTTP session), over shared services. */
export type ServerFactory = () => McpServer;

/**
 * The whole MCP surface in one place: tools, job resources with subscriptions, lifecycle logging and (optionally)
 * MCP Tasks, each session's server built over the same services. No side effects until a factory is called.
 */
export function mcpServerFactory(services: ToolDeps, logger: Logger): ServerFactory {
  const live = new LiveFeatures({
    jobs: services.jobs,
    remoteBash: services.remoteBash,
    changes: services.changes,
    logger,
    tasks: services.config.tasks,
  });
  return () => {
    const server = new McpServer(
      { name: 'deckhand', version: packageVersion(), title: 'deckhand' },
      { ...live.serverOptions(), instructions: INSTRUCTIONS },
    );
    registerTools(server, services);
    // After the tools (it checks their schemas) and before task support (which wraps tools/call in turn).
    installArgumentValidation(server);
    live.attach(server);
    // Outermost: tools/list compacted for every client and context window, map arguments taken either way.
    installToolListing(server);
    return server;
  };
}
