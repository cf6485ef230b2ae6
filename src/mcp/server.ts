import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Logger } from '../logger.js';
import { packageVersion } from '../version.js';
import { installArgumentValidation } from './argument-validation.js';
import { jobViewHtmlLoader, registerJobView } from './job-view.js';
import { LiveFeatures } from './live.js';
import { installToolListing } from './tool-listing.js';
import { installOutputValidation, OutputChecks } from './output-validation.js';
import { registerTools } from './tools/index.js';
import type { ToolDeps } from './tools/shared/deps.js';
import { registerApprovalResource } from './approvals.js';
import { registerPoolResource } from './pool.js';
import { registerTemplateResource } from './templates-resource.js';
import type { SessionInfo } from './session.js';

const INSTRUCTIONS =
  'deckhand runs commands on registered Linux servers over SSH. Start with list-servers; register a server with add-server. ' +
  'remote-bash runs a command: short ones answer at once, long ones become jobs that keep running on the server; follow them with ' +
  'get-job-status (pass next_cursor back as cursor, use wait_s to long-poll) and stop them with cancel-job. list-jobs shows recent jobs. ' +
  "Each server has a policy (read-only, ask, open): a refused call says why. One that needs a person's approval asks through your " +
  'client, or answers an approval id the user approves with `deckhand approve ID`; then make the same call again.';

/**
 * Makes the McpServer of one MCP session (one per stdio process, one per HTTP session), over shared services. The
 * transport says who the session is (its HTTP token); policy and the audit log use it on every call.
 */
export type ServerFactory = (session?: SessionInfo) => McpServer;

/**
 * The whole MCP surface in one place: tools, job resources with subscriptions, lifecycle logging and (optionally)
 * MCP Tasks, each session's server built over the same services. No side effects until a factory is called.
 */
export function mcpServerFactory(services: ToolDeps, logger: Logger): ServerFactory {
  const live = new LiveFeatures({
    jobs: services.jobs,
    remoteBash: services.remoteBash,
    changes: services.changes,
    safety: services.safety,
    logger,
    // Tasks run remote-bash: without the commands group there is nothing to run as a task.
    tasks: services.config.tasks && services.config.toolsets.includes('commands'),
  });
  const jobViewHtml = jobViewHtmlLoader();
  const outputChecks = new OutputChecks();
  return (session = { via: 'stdio' }) => {
    const server = new McpServer(
      { name: 'deckhand', version: packageVersion(), title: 'deckhand' },
      { ...live.serverOptions(), instructions: INSTRUCTIONS },
    );
    registerTools(server, { ...services, session });
    registerJobView(server, jobViewHtml);
    installOutputValidation(server, outputChecks);
    // After the tools (it checks their schemas) and before task support (which wraps tools/call in turn).
    installArgumentValidation(server);
    live.attach(server, session);
    registerApprovalResource(server, services.safety);
    registerPoolResource(server, services.jobs);
    registerTemplateResource(server, services.templates);
    // Outermost: tools/list compacted for every client and context window, map arguments taken either way.
    installToolListing(server);
    return server;
  };
}
