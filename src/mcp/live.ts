import type { ServerOptions } from '@modelcontextprotocol/sdk/server/index.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { JobChanges } from '../jobs/index.js';
import type { JobService } from '../jobs/index.js';
import type { Logger } from '../logger.js';
import type { RemoteBashService } from '../remote-bash/index.js';
import type { SafetyService } from '../safety/index.js';
import type { SessionInfo } from './session.js';
import { attachJobLogging } from './logging.js';
import { registerJobResources } from './resources.js';
import { installTaskSupport, JobTaskStore, taskServerOptions } from './tasks.js';

export interface LiveDeps {
  readonly jobs: JobService;
  readonly remoteBash: RemoteBashService;
  readonly changes: JobChanges;
  readonly safety: SafetyService;
  readonly logger: Logger;
  /** MCP Tasks for remote-bash (DECKHAND_TASKS). */
  readonly tasks: boolean;
}

/**
 * What deckhand offers besides tools, for clients that use it: job lifecycle logging, job resources with
 * subscriptions and, optionally, MCP Tasks. One per process; `attach` adds it to each session's McpServer.
 */
export class LiveFeatures {
  private readonly taskStore: JobTaskStore | undefined;

  constructor(private readonly deps: LiveDeps) {
    this.taskStore = deps.tasks ? new JobTaskStore(deps) : undefined;
  }

  /** The McpServer constructor options: capabilities (logging, resources with subscribe, tasks) and the task store. */
  serverOptions(): ServerOptions {
    const tasks = this.taskStore ? taskServerOptions(this.taskStore) : undefined;
    return {
      ...tasks,
      capabilities: { logging: {}, resources: { subscribe: true, listChanged: true }, ...tasks?.capabilities },
    };
  }

  /** Adds resources, subscriptions, logging and tasks to a server whose tools are registered; undone on close. */
  attach(server: McpServer, session?: SessionInfo): void {
    const { logger } = this.deps;
    const dropResources = registerJobResources(server, {
      jobs: this.deps.jobs,
      changes: this.deps.changes,
      onError: (err, context) => logger.debug({ err }, context),
    });
    const dropLogging = attachJobLogging(server, this.deps.changes, (err) =>
      logger.debug({ err }, 'job logging notification'),
    );
    if (this.taskStore) installTaskSupport(server, { ...this.deps, session });
    const previous = server.server.onclose;
    server.server.onclose = () => {
      previous?.();
      dropResources();
      dropLogging();
    };
  }
}
