import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerAddServerTool } from './add-server.js';
import { registerCancelJobTool } from './cancel-job.js';
import { registerCreateServerTool } from './create-server.js';
import { registerDeleteServerTool } from './delete-server.js';
import { registerDeployAppTool } from './deploy-app.js';
import type { ToolDeps } from './shared/deps.js';
import { registerGetJobStatusTool } from './get-job-status.js';
import { registerListAppsTool } from './list-apps.js';
import { registerListJobsTool } from './list-jobs.js';
import { registerListServersTool } from './list-servers.js';
import { registerReadFileTool } from './read-file.js';
import { registerRemoteBashTool } from './remote-bash.js';
import { registerRemoveServerTool } from './remove-server.js';
import { registerSetupServerTool } from './setup-server.js';
import { registerTransferFileTool } from './transfer-file.js';
import { registerUndeployAppTool } from './undeploy-app.js';
import { registerWriteFileTool } from './write-file.js';

export function registerTools(server: McpServer, deps: ToolDeps): void {
  registerAddServerTool(server, deps);
  registerListServersTool(server, deps);
  registerRemoveServerTool(server, deps);
  registerRemoteBashTool(server, deps);
  registerGetJobStatusTool(server, deps);
  registerListJobsTool(server, deps);
  registerCancelJobTool(server, deps);
  registerCreateServerTool(server, deps);
  registerDeleteServerTool(server, deps);
  registerSetupServerTool(server, deps);
  registerListAppsTool(server, deps);
  registerDeployAppTool(server, deps);
  registerUndeployAppTool(server, deps);
  registerReadFileTool(server, deps);
  registerWriteFileTool(server, deps);
  registerTransferFileTool(server, deps);
}
