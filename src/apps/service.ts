import { createHash } from 'node:crypto';
import { summarizeApp, type AppSummary, type Catalogue } from './render/index.js';
import type { Config } from '../config.js';
import { DeckhandError, errorMessage } from '../errors.js';
import type { Inventory } from '../servers/index.js';
import type { JobEngine } from '../jobs/engine.js';
import type { JobFiles } from '../jobs/files.js';
import type { DeployInput } from './deploy/types.js';
import type { Job } from '../jobs/types.js';
import type { SshPool } from '../ssh/pool.js';
import { waitBriefly } from '../jobs/kit/waits.js';
import { listDeployed, type DeployedApp } from './deploy/list.js';
import { assertStackName, preview, stackOf, type DeployRequest } from './deploy/preview.js';
import { deployShell } from './deploy/remote.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import { readCurrent } from './deploy/stack-status.js';
import type { StackStateStore } from './deploy/state.js';
import type { DeployParams, UndeployParams } from './deploy/types.js';

export interface DryRunResult {
  readonly dry_run: true;
  readonly server: string;
  readonly app: string | null;
  readonly stack: string;
  readonly release: string;
  /** The release deployed now (null: none; undefined: the server could not be asked). */
  readonly current_release?: string | null;
  readonly would_change?: boolean;
  readonly compose: string;
  /** Values of secrets and of settings you passed are masked. */
  readonly env_file: string;
  readonly plan: unknown;
  readonly dependencies: readonly { app: string; stack: string; deployed: boolean | null }[];
  readonly secrets_to_generate: readonly string[];
  readonly warnings: readonly string[];
}

export interface AppServiceOptions {
  readonly config: Config;
  readonly engine: JobEngine;
  readonly files: JobFiles;
  readonly inventory: Inventory;
  readonly pool: SshPool;
  readonly catalogue: Catalogue;
  readonly states: StackStateStore;
}

/** What list-apps, deploy-app and undeploy-app call. */
export class AppService {
  constructor(private readonly o: AppServiceOptions) {}

  catalogue(): AppSummary[] {
    return [...this.o.catalogue.apps.values()].map(summarizeApp);
  }

  /** What is deployed on a server: its release records and the replicas of their services. */
  async deployed(serverName: string, signal?: AbortSignal): Promise<DeployedApp[]> {
    return this.withRunner(serverName, signal, (runner) => listDeployed(runner));
  }

  async dryRun(req: DeployRequest, signal?: AbortSignal): Promise<DryRunResult> {
    await this.o.inventory.get(req.server);
    const p = await preview(req, {
      catalogue: this.o.catalogue,
      states: this.o.states,
      imageOverrides: this.o.config.deploy.imageOverrides,
    });
    const spec = p.rendered.spec;
    const warnings = [...spec.warnings];
    let current: string | null | undefined;
    const deployed = new Map<string, boolean>();
    try {
      await this.withRunner(req.server, signal, async (runner) => {
        current = (await readCurrent(runner, p.stack)).record?.hash ?? null;
        for (const d of p.dependencies) deployed.set(d.stack, (await readCurrent(runner, d.stack)).record !== null);
      });
    } catch (err) {
      warnings.push(`the server could not be asked what is deployed: ${errorMessage(err)}`);
    }
    return p.redactor.value({
      dry_run: true,
      server: req.server,
      app: p.app,
      stack: p.stack,
      release: spec.hash.slice(0, 12),
      ...(current !== undefined
        ? { current_release: current?.slice(0, 12) ?? null, would_change: current !== spec.hash }
        : {}),
      compose: spec.compose,
      env_file: p.rendered.maskedEnvFile,
      plan: p.plan,
      dependencies: p.dependencies.map((d) => ({
        app: d.app,
        stack: d.stack,
        deployed: deployed.get(d.stack) ?? null,
      })),
      secrets_to_generate: p.newSecrets,
      warnings,
    });
  }

  /** Validates (by rendering, as dry_run does) and queues a deploy-app job. */
  /** `id`: the job's id when the caller made it beforehand (the audit log names the job before it exists). */
  async submitDeploy(req: DeployRequest, jobId?: string): Promise<Job> {
    const server = await this.o.inventory.get(req.server);
    await preview(req, {
      catalogue: this.o.catalogue,
      states: this.o.states,
      imageOverrides: this.o.config.deploy.imageOverrides,
    });
    const params: DeployParams = {
      app: req.app ?? null,
      stack: stackOf(req),
      ...(req.domain !== undefined ? { domain: req.domain.trim().toLowerCase() || null } : {}),
      env_keys: req.env ? Object.keys(req.env).sort() : null,
      ...(req.route ? { route: req.route } : {}),
      ...(req.compose !== undefined ? { compose_sha256: createHash('sha256').update(req.compose).digest('hex') } : {}),
    };
    const id = jobId ?? this.o.engine.newId();
    await this.o.files.putSecret(id, 'deploy-input', { env: req.env, compose: req.compose } satisfies DeployInput);
    return this.o.engine.submit({
      id,
      type: 'deploy-app',
      server: server.name,
      params: { ...params },
      timeout_s: Math.max(this.o.config.jobs.defaultTimeoutS, this.o.config.deploy.waitS * 3),
    });
  }

  async submitUndeploy(serverName: string, stack: string, removeData: boolean, id?: string): Promise<Job> {
    // The name becomes a path on the server (rm -rf /opt/deckhand/apps/<stack>): only a stack name's shape passes.
    assertStackName(stack);
    const server = await this.o.inventory.get(serverName);
    const params: UndeployParams = { stack, remove_data: removeData };
    return this.o.engine.submit({
      ...(id ? { id } : {}),
      type: 'undeploy-app',
      server: server.name,
      params: { ...params },
      timeout_s: 15 * 60,
    });
  }

  wait(job: Job, ms: number, signal?: AbortSignal): Promise<Job> {
    return waitBriefly(this.o.engine, job, ms, signal);
  }

  private async withRunner<T>(
    serverName: string,
    signal: AbortSignal | undefined,
    fn: (r: RemoteShell) => Promise<T>,
  ): Promise<T> {
    const server = await this.o.inventory.get(serverName);
    const lease = await this.o.pool.acquire(server, signal);
    try {
      const runner = deployShell(lease.client, signal ?? new AbortController().signal, 60_000);
      await runner.detectPrivileges('Deploying');
      return await fn(runner);
    } catch (err) {
      throw err instanceof DeckhandError ? err : new DeckhandError('remote_failed', errorMessage(err));
    } finally {
      lease.release();
    }
  }
}
