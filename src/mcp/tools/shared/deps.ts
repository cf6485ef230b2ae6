import type { Config } from '../../../config.js';
import type { Logger } from '../../../logger.js';
import type { JobFeed } from '../../../jobs/changes.js';
import type { AppService } from '../../../apps/index.js';
import type { JobService } from '../../../remote-bash/service.js';
import type { ProvisioningService } from '../../../provisioning/service.js';
import type { ServerService } from '../../../servers/service.js';
import type { SetupService } from '../../../setup/service.js';

/** What tool handlers may use: services only, never the SSH pool or the stores directly. */
export interface ToolDeps {
  readonly config: Config;
  readonly logger: Logger;
  /** Job events for MCP sessions (logging, resource updates); tools report what only they know, e.g. promotion. */
  readonly feed?: JobFeed;
  readonly servers: ServerService;
  readonly jobs: JobService;
  readonly provisioning: ProvisioningService;
  readonly setup: SetupService;
  readonly apps: AppService;
}
