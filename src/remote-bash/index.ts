// remote-bash: a command run detached on a server as a durable job (handler.ts), started and waited for by service.ts.
import type { Config } from '../config.js';
import type { Feature, JobKernel } from '../jobs/kernel.js';
import type { Logger } from '../logger.js';
import type { Inventory } from '../servers/index.js';
import type { SshPool } from '../ssh/pool.js';
import { AgentSessions, type AgentEvent } from './agent/index.js';
import { RemoteBashHandler } from './handler.js';
import { RemoteBashService } from './service.js';

export { RemoteBashService, type CommandResult, type RemoteBashOutcome, type RunMode } from './service.js';
export type { QueuePolicies, RunOrigin } from './queue.js';
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
  logger?: Logger;
}): Feature<RemoteBashService> {
  const { config, kernel, inventory, pool, env, logger } = o;
  const agents = config.jobs.remoteAgent
    ? new AgentSessions({
        onEvent: (e) => logAgentEvent(logger, e),
        session: { onStderr: (line) => logger?.debug({ line }, 'agent stderr') },
      })
    : undefined;
  return {
    close: async () => {
      await agents?.closeAll();
    },
    handlers: {
      'remote-bash': new RemoteBashHandler({
        inventory,
        pool,
        keepFailedMinutes: config.jobs.remoteKeepFailedHours * 60,
        env,
        agents,
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

/** A server without an agent is said once (its commands take the exec path); the rest is for debugging. */
function logAgentEvent(logger: Logger | undefined, e: AgentEvent): void {
  if (e.type === 'unavailable')
    logger?.warn(
      { server: e.server, reason: e.reason },
      `no resident agent on ${e.server} (${e.message}): its commands take the per-command exec path`,
    );
  else if (e.type === 'ended')
    logger?.info({ server: e.server, reason: e.reason }, `agent on ${e.server} ended: ${e.message}`);
  else logger?.debug({ server: e.server, pid: e.pid, ms: e.ms }, `agent started on ${e.server}`);
}
