import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Toolset } from '../../config.js';
import { registerDeleteTemplateTool } from './delete-template.js';
import { registerListTemplatesTool } from './list-templates.js';
import { registerRunTemplateTool } from './run-template.js';
import { registerSaveTemplateTool } from './save-template.js';
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

type Register = (server: McpServer, deps: ToolDeps) => void;

/** Each tool in its group (DECKHAND_TOOLSETS chooses groups), in the order tools/list shows them. */
export const TOOL_GROUPS: Readonly<Record<Toolset, readonly Register[]>> = {
  servers: [registerAddServerTool, registerListServersTool, registerRemoveServerTool],
  commands: [registerRemoteBashTool],
  jobs: [registerGetJobStatusTool, registerListJobsTool, registerCancelJobTool],
  templates: [registerSaveTemplateTool, registerRunTemplateTool, registerListTemplatesTool, registerDeleteTemplateTool],
  provisioning: [registerCreateServerTool, registerDeleteServerTool, registerSetupServerTool],
  apps: [registerListAppsTool, registerDeployAppTool, registerUndeployAppTool],
  files: [registerReadFileTool, registerWriteFileTool, registerTransferFileTool],
};

export function registerTools(server: McpServer, deps: ToolDeps): void {
  const chosen = new Set(deps.config.toolsets);
  for (const [group, tools] of Object.entries(TOOL_GROUPS) as [Toolset, readonly Register[]][])
    if (chosen.has(group)) for (const register of tools) register(server, deps);
}
