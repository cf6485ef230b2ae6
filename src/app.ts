import fs from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Config } from './config.js';
import { Inventory } from './inventory/inventory.js';
import { JobEngine } from './jobs/engine.js';
import { LowdbJobStore } from './jobs/store.js';
import type { Logger } from './logger.js';
import { installArgumentValidation } from './mcp/argument-validation.js';
import { JobFeed } from './mcp/job-feed.js';
import { LiveFeatures } from './mcp/live.js';
import { createDeployFeature } from './services/deploy/index.js';
import { JobService } from './services/jobs.js';
import { CreateServerJob } from './services/provisioning/create-server-job.js';
import { DeleteServerJob } from './services/provisioning/delete-server-job.js';
import { hetznerFactory } from './services/provisioning/provider.js';
import { ProvisioningService } from './services/provisioning/provisioning-service.js';
import { RemoteBashJob } from './services/remote-bash-job.js';
import { ServerService } from './services/servers.js';
import { SetupServerJob } from './services/setup/setup-server-job.js';
import { SetupService } from './services/setup/setup-service.js';
import { SshPool } from './ssh/pool.js';
import type { ToolDeps } from './tools/deps.js';
import { registerTools } from './tools/index.js';
import { packageVersion } from './version.js';

export interface AppDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly env: NodeJS.ProcessEnv;
}

export interface App {
  /** A new MCP server bound to the shared services: one per stdio process or per HTTP session. */
  createServer(): McpServer;
  readonly deps: ToolDeps;
  readonly engine: JobEngine;
  readonly pool: SshPool;
  /** Starts the job engine (lease, recovery, queue). */
  start(): Promise<void>;
  close(): Promise<void>;
}

const INSTRUCTIONS =
  'deckhand runs commands on registered Linux servers over SSH. Start with list-servers; register a server with add-server. ' +
  'remote-bash runs a command: short ones answer at once, long ones become jobs that keep running on the server; follow them with ' +
  'get-job-status (pass next_cursor back as cursor, use wait_s to long-poll) and stop them with cancel-job. list-jobs shows recent jobs.';

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
  const provider = hetznerFactory(config.provisioning);
  const store = new LowdbJobStore(config.home, {
    keepFinished: config.jobs.retainFinished,
    keepDays: config.jobs.retainDays,
    archiveDays: config.jobs.archiveDays,
  });
  const apps = createDeployFeature({ config, inventory, pool, store });
  const engine = new JobEngine({
    home: config.home,
    store,
    config: config.jobs,
    handlers: {
      'remote-bash': new RemoteBashJob({
        home: config.home,
        inventory,
        pool,
        keepFailedMinutes: config.jobs.remoteKeepFailedHours * 60,
      }),
      'create-server': new CreateServerJob({ home: config.home, inventory, pool, provider }),
      'delete-server': new DeleteServerJob({ inventory, pool, provider }),
      'setup-server': new SetupServerJob({ inventory, pool, traefikImage: config.provisioning.traefikImage }),
      ...apps.handlers,
    },
    onError: (err, context) => logger.error({ err, context }, 'job engine error'),
  });
  engine.events.on('job', (j) => logger.debug({ job: j.id, status: j.status }, 'job update'));
  const feed = new JobFeed({ engine, home: config.home, onError: (err, context) => logger.debug({ err }, context) });
  const deps: ToolDeps = {
    config,
    logger,
    feed,
    servers: new ServerService(inventory, pool),
    jobs: new JobService(engine, inventory, config, async (server, signal) => {
      const lease = await pool.acquire(server, signal);
      lease.release();
    }),
    provisioning: new ProvisioningService(config, engine, inventory, provider),
    setup: new SetupService(engine, inventory),
    apps: apps.service(engine),
  };
  const live = new LiveFeatures({ jobs: deps.jobs, engine, feed, logger, tasks: config.tasks });
  return {
    deps,
    engine,
    pool,
    start: () => engine.start(),
    createServer() {
      const server = new McpServer(
        { name: 'deckhand', version: packageVersion(), title: 'deckhand' },
        { ...live.serverOptions(), instructions: INSTRUCTIONS },
      );
      registerTools(server, deps);
      installArgumentValidation(server);
      live.attach(server);
      return server;
    },
    async close() {
      feed.close();
      await engine.close();
      await pool.close();
    },
  };
}
