// remote-bash: a command run detached on a server as a durable job (handler.ts), started and waited for by service.ts.
import type { Config } from '../config.js';
import type { Feature, JobKernel } from '../jobs/kernel.js';
import type { Inventory } from '../servers/index.js';
import type { SshPool } from '../ssh/pool.js';
import { RemoteBashHandler } from './handler.js';
import { RemoteBashService } from './service.js';

export { RemoteBashService, type CommandResult, type RemoteBashOutcome, type RunMode } from './service.js';
export type { QueuePolicies } from './queue.js';
export {
  batchText,
  batchView,
  groupOutcome,
  progressLine,
  type BatchView,
  type ChildRow,
  type OutputGroup,
} from './batch-view.js';
export type { AgainInput, AgainKind } from './again.js';
// The names a command's env may use: they become shell variables on the server.
export { ENV_NAME_RE } from '../ssh/shell.js';

export function createRemoteBashFeature(o: {
  config: Config;
  kernel: JobKernel;
  inventory: Inventory;
  pool: SshPool;
  env: NodeJS.ProcessEnv;
}): Feature<RemoteBashService> {
  const { config, kernel, inventory, pool, env } = o;
  return {
    handlers: {
      'remote-bash': new RemoteBashHandler({
        inventory,
        pool,
        keepFailedMinutes: config.jobs.remoteKeepFailedHours * 60,
        env,
      }),
    },
    service: new RemoteBashService({
      engine: kernel.engine,
      jobs: kernel.jobs,
      files: kernel.files,
      inventory,
      pool,
      config,
      env,
    }),
  };
}
