import fs from 'node:fs';
import { createAppsFeature } from './apps/index.js';
import { createFilesFeature } from './files/index.js';
import type { Config } from './config.js';
import { createJobKernel, type Feature, type JobKernel, type KernelDeps } from './jobs/kernel.js';
import type { Logger } from './logger.js';
import type { ToolDeps } from './mcp/tools/shared/deps.js';
import { createProvisioningFeature } from './provisioning/index.js';
import { createRemoteBashFeature } from './remote-bash/index.js';
import { createSafetyFeature } from './safety/index.js';
import { createServersFeature, type Inventory } from './servers/index.js';
import { createSetupFeature } from './setup/index.js';
import { SshPool } from './ssh/pool.js';
import { createTemplatesFeature, scheduleGate } from './templates/index.js';

export interface AppDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly env: NodeJS.ProcessEnv;
  /** This process, as the job system knows it (cli.ts passes process.pid and a liveness check). */
  readonly process: KernelDeps['process'];
}

/** deckhand's running parts, as the transports and the CLI use them. */
export interface Deckhand {
  readonly config: Config;
  readonly logger: Logger;
  /** The services MCP sessions are built on (mcp/server.ts). */
  readonly services: ToolDeps;
  readonly kernel: JobKernel;
  readonly pool: SshPool;
  /** Joins the job system and starts executing jobs (recovery, then the queue). */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The composition root: the leaves (SSH pool), the job kernel, then each feature built by its own index.ts, its job
 * handlers registered with the engine. Opens the stores (their migrations run); executes nothing until start().
 */
export async function createApp({ config, logger, env, process: proc }: AppDeps): Promise<Deckhand> {
  fs.mkdirSync(config.home, { recursive: true, mode: 0o700 });
  // The pool follows a server's `via` (its bastion) to another registered server: the inventory answers, from the
  // records it read when the caller looked the server up (the pool itself reads no store). It exists only once the
  // servers feature is built, which needs the pool: hence the holder.
  const via: { inventory?: Inventory } = {};
  const pool = new SshPool({
    connectTimeoutMs: config.connectTimeoutMs,
    keepaliveIntervalMs: config.keepaliveIntervalMs,
    env,
    onEvent: (e) => logger.debug(e, 'ssh pool'),
    resolveVia: (name) => via.inventory?.cached(name),
  });
  const kernel = await createJobKernel({ config, logger, process: proc });
  const servers = createServersFeature({ config, kernel, pool, env });
  via.inventory = servers.inventory;
  const shared = { config, kernel, inventory: servers.inventory, pool, env };
  const remoteBash = createRemoteBashFeature({ ...shared, logger });
  const provisioning = createProvisioningFeature(shared);
  const setup = createSetupFeature(shared);
  const apps = createAppsFeature(shared);
  const safety = createSafetyFeature({
    config,
    kernel,
    inventory: servers.inventory,
    onError: (err, context) => logger.error({ err, context }, 'safety error'),
  });
  const files = createFilesFeature(shared);
  const templates = createTemplatesFeature({
    kernel,
    remoteBash: remoteBash.service,
    onError: (err, context) => logger.error({ err, context }, 'templates error'),
  });
  const features: Feature<unknown>[] = [servers, remoteBash, provisioning, setup, apps, files, templates];
  for (const f of features)
    for (const [type, handler] of Object.entries(f.handlers)) kernel.engine.register(type, handler);
  const services: ToolDeps = {
    config,
    changes: kernel.changes,
    jobs: kernel.jobs,
    remoteBash: remoteBash.service,
    servers: servers.service,
    provisioning: provisioning.service,
    setup: setup.service,
    apps: apps.service,
    safety: safety.service,
    audit: safety.audit,
    files: files.service,
    templates: templates.service,
  };
  return {
    config,
    logger,
    services,
    kernel,
    pool,
    async start() {
      await provisioning.start();
      await kernel.start();
      safety.start();
      templates.start(scheduleGate(safety.service, (target) => remoteBash.service.targetNames(target)));
    },
    async close() {
      await templates.stop();
      await safety.close();
      await kernel.close();
      for (const f of features) await f.close?.();
      await pool.close();
    },
  };
}
