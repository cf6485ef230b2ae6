import os from 'node:os';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { packageVersion } from '../version.js';
import { JobChanges } from './changes.js';
import { JobEngine } from './engine.js';
import { jobFilesFor, type JobFiles } from './files.js';
import type { JobHandler } from './handler.js';
import { Housekeeper } from './housekeeping.js';
import { JobService } from './service.js';
import type { InstanceRef, Stores } from './store/contract.js';
import { openStores } from './store/open.js';
import { newJobId } from './types.js';

/** What a feature gives the composition root: the job handlers it brings, and the service the MCP tools call. */
export interface Feature<S> {
  readonly handlers: Readonly<Record<string, JobHandler>>;
  readonly service: S;
  /** Ends what the feature holds open beyond its jobs (after the engine stopped, before the SSH pool closes). */
  readonly close?: () => Promise<void>;
}

/** The durable job kernel every feature builds on, one per process: this process's instance of the job system. */
export interface JobKernel {
  readonly stores: Stores;
  readonly engine: JobEngine;
  readonly files: JobFiles;
  /** Reading, listing and cancelling jobs of any type. */
  readonly jobs: JobService;
  /** Job changes (this process's and other instances') as one event stream for MCP sessions. */
  readonly changes: JobChanges;
  /** Joins the job system and starts executing (a CLI command never calls it: it only reads and cancels). */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface KernelDeps {
  readonly config: Config;
  readonly logger: Logger;
  /** This process as the job system knows it (pid and host from the entry point). */
  readonly process: { readonly pid: number; readonly host?: string; readonly isAlive: (pid: number) => boolean };
  /** How often the queue is looked at without a wake-up (default 1 s; tests that must not rely on it set more). */
  readonly pollMs?: number;
}

/** Opens the stores (migrations run) and builds the kernel over them. */
export async function createJobKernel({ config, logger, process: proc, pollMs }: KernelDeps): Promise<JobKernel> {
  const onError = (err: unknown, context: string) => logger.error({ err, context }, 'job system error');
  const instance: InstanceRef = {
    id: `inst_${newJobId().slice('job_'.length)}`,
    host: proc.host ?? os.hostname(),
    pid: proc.pid,
  };
  const stores = await openStores(
    { home: config.home, databaseUrl: config.store.databaseUrl, secretKey: config.store.secretKey },
    { instance, onError },
  );
  const files = jobFilesFor(stores.kind, config.home, stores.secrets);
  const engine = new JobEngine({
    stores,
    files,
    config: config.jobs,
    instance: { ...instance, version: packageVersion() },
    isAlive: proc.isAlive,
    onError,
    pollMs,
  });
  engine.events.on('job', (j) => logger.debug({ job: j.id, status: j.status }, 'job update'));
  const changes = new JobChanges({ engine, stores, onError: (err, context) => logger.debug({ err }, context) });
  const housekeeper = new Housekeeper({ home: config.home, stores, config: config.jobs, onError });
  let started = false;
  return {
    stores,
    engine,
    files,
    jobs: new JobService({ engine, stores, limits: config.jobs }),
    changes,
    async start() {
      await engine.start();
      started = true;
      if (config.jobs.maxJobs > 0) housekeeper.start();
    },
    async close() {
      changes.close();
      await housekeeper.close();
      if (started) await engine.close();
      await stores.close();
    },
  };
}
