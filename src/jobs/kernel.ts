import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { JobChanges } from './changes.js';
import { JobEngine } from './engine.js';
import { JobFiles } from './files.js';
import type { JobHandler } from './handler.js';
import { JobService } from './service.js';
import { LowdbJobStore } from './store.js';

/** What a feature gives the composition root: the job handlers it brings, and the service the MCP tools call. */
export interface Feature<S> {
  readonly handlers: Readonly<Record<string, JobHandler>>;
  readonly service: S;
}

/** The durable job kernel every feature builds on, one per process. */
export interface JobKernel {
  readonly engine: JobEngine;
  readonly files: JobFiles;
  /** Reading, listing and cancelling jobs of any type. */
  readonly jobs: JobService;
  /** Job changes (this process's and other processes') as one event stream for MCP sessions. */
  readonly changes: JobChanges;
  start(): Promise<void>;
  close(): Promise<void>;
}

export function createJobKernel({ config, logger }: { config: Config; logger: Logger }): JobKernel {
  const files = new JobFiles(config.home);
  const store = new LowdbJobStore(config.home, {
    keepFinished: config.jobs.retainFinished,
    keepDays: config.jobs.retainDays,
    archiveDays: config.jobs.archiveDays,
  });
  const engine = new JobEngine({
    home: config.home,
    store,
    files,
    config: config.jobs,
    onError: (err, context) => logger.error({ err, context }, 'job engine error'),
  });
  engine.events.on('job', (j) => logger.debug({ job: j.id, status: j.status }, 'job update'));
  const changes = new JobChanges({
    engine,
    home: config.home,
    onError: (err, context) => logger.debug({ err }, context),
  });
  return {
    engine,
    files,
    jobs: new JobService({ engine, files, config }),
    changes,
    start: () => engine.start(),
    async close() {
      changes.close();
      await engine.close();
    },
  };
}
