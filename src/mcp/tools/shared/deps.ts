import type { AppService } from '../../../apps/index.js';
import type { AuditLog } from '../../../audit/index.js';
import type { Config } from '../../../config.js';
import type { FileService } from '../../../files/index.js';
import type { JobChanges } from '../../../jobs/index.js';
import type { JobService } from '../../../jobs/index.js';
import type { ProvisioningService } from '../../../provisioning/index.js';
import type { RemoteBashService } from '../../../remote-bash/index.js';
import type { ServerService } from '../../../servers/index.js';
import type { SafetyService } from '../../../safety/index.js';
import type { SetupService } from '../../../setup/index.js';
import type { TemplateService } from '../../../templates/index.js';
import type { SessionInfo } from '../../session.js';

/**
 * Everything tool handlers may use: feature services and the kernel's job service, never the SSH pool or a store.
 * Each tool takes only the part it uses (`Pick<ToolDeps, ...>`).
 */
export interface ToolDeps {
  readonly config: Config;
  /** Job changes for MCP sessions (logging, resource updates, progress); tools report what only they know, e.g. promotion. */
  readonly changes: JobChanges;
  readonly jobs: JobService;
  readonly remoteBash: RemoteBashService;
  readonly servers: ServerService;
  readonly provisioning: ProvisioningService;
  readonly setup: SetupService;
  readonly apps: AppService;
  /** Policy, approvals and grants: every tool that changes something is admitted by it first (shared/admit.ts). */
  readonly safety: SafetyService;
  readonly audit: AuditLog;
  /** Who this MCP session is (transport, HTTP token): set per session by mcp/server.ts. */
  readonly session?: SessionInfo | undefined;
  readonly files: FileService;
  readonly templates: TemplateService;
}
