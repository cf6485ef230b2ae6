import {
  dependencyRuntime,
  resolveSecrets,
  type AppDefinition,
  type Catalogue,
  type DependencyRuntime,
} from '../render/index.js';
import { DeckhandError } from '../../errors.js';
import type { HandlerOutcome, JobContext, JobHandler } from '../../jobs/handler.js';
import { deployContext, errorOutcome, withServer, type DeployJobOptions } from './job-common.js';
import { stackProgress } from './deploy-progress.js';
import { preflight } from './preflight.js';
import { exemptWords, Redactor } from './redact.js';
import { catalogueRelease, composeRelease, overriddenImage, runtimesFor } from './release.js';
import { deployStack, type DeployContext, type StackTask } from './stack-deploy.js';
import { readCurrent } from './stack-status.js';
import type { StackStateStore } from './state.js';
import { PROBE_IMAGE, type DeployInput, type DeployParams, type StackOutcome } from './types.js';

export interface DeployResult extends StackOutcome {
  readonly server: string;
  /** Dependencies that were already deployed are listed with changed: false. */
  readonly dependencies: readonly StackOutcome[];
  readonly duration_ms: number;
}

/**
 * The deploy-app job: dependencies first (deploying the missing ones), then the app, each through deployStack.
 * Re-run from the start after a restart of deckhand: every step is idempotent and the job adopts its own locks.
 */
export class DeployAppHandler implements JobHandler {
  constructor(
    private readonly o: DeployJobOptions & { readonly catalogue: Catalogue; readonly states: StackStateStore },
  ) {}

  async run(ctx: JobContext): Promise<HandlerOutcome> {
    const params = ctx.job.params as unknown as DeployParams;
    const input = (await ctx.files.readSecret<DeployInput>('deploy-input')) ?? {};
    const redactor = new Redactor(Object.values(input.env ?? {}), exemptWords(this.o.catalogue, params.stack));
    const note = (text: string) => ctx.note(redactor.text(text));
    const started = Date.now();
    try {
      const result = await withServer(this.o, ctx, async (conn) => {
        ctx.progress({ step: 'preflight', percent: 5, message: 'checking Docker, Swarm, the network and disk space' });
        const facts = await preflight(conn.runner, conn.server);
        note(
          `preflight: swarm ${facts.swarm}, network ${facts.network}, ${facts.freeMb} MB free for Docker` +
            (facts.setUp ? ', set up by setup-server' : ', no setup-server record (Swarm and network found anyway)'),
        );
        const probeImage = overriddenImage(PROBE_IMAGE, this.o.deploy.imageOverrides);
        const c = deployContext(this.o, ctx, conn, note, probeImage);
        return this.deployAll(ctx, c, conn.server, params, input, redactor);
      });
      const final: DeployResult = { ...result, duration_ms: Date.now() - started };
      ctx.progress({
        step: 'done',
        percent: 100,
        message: final.changed ? `release ${final.release} is live` : 'nothing changed',
      });
      await ctx.files.dropSecret('deploy-input');
      return { kind: 'completed', result: redactor.value(final) };
    } catch (err) {
      const out = errorOutcome(err, ctx, redactor);
      if (out.kind !== 'abandon') await ctx.files.dropSecret('deploy-input');
      return out;
    }
  }

  private async deployAll(
    ctx: JobContext,
    c: DeployContext,
    server: string,
    params: DeployParams,
    input: DeployInput,
    redactor: Redactor,
  ): Promise<Omit<DeployResult, 'duration_ms'>> {
    if (params.app === null) {
      if (input.compose === undefined) {
        throw new DeckhandError(
          'input_missing',
          'The compose file of this job is gone (deckhand restarted after the job ended?).',
          {
            hint: 'Call deploy-app again with the compose file.',
          },
        );
      }
      const progress = stackProgress((p) => ctx.progress(p), params.stack, 10, 95, 1);
      const out = await deployStack(c, this.composeTask(server, params, input, redactor), progress);
      return { ...out, server, dependencies: [] };
    }
    const order = this.o.catalogue.dependencyOrder(params.app);
    const runtimes: Record<string, DependencyRuntime> = {};
    const deps: StackOutcome[] = [];
    for (const [i, app] of order.entries()) {
      const main = i === order.length - 1;
      const stack = main ? params.stack : app.name;
      const share = (k: number) => 10 + (85 * k) / order.length;
      const progress = stackProgress((p) => ctx.progress(p), stack, share(i), share(i + 1), order.length);
      const mine = runtimesFor(app, runtimes);
      if (!main) {
        const existing = await this.existingDependency(c, server, app, mine, redactor);
        if (existing) {
          runtimes[app.name] = existing.runtime;
          deps.push(existing.outcome);
          continue;
        }
        c.note(`${stack}: dependency of ${params.app} is not deployed yet: deploying it first`);
      }
      const task = this.catalogueTask(
        server,
        app,
        stack,
        main ? params : { app: app.name, stack, env_keys: null },
        main ? input : {},
        mine,
        redactor,
      );
      const out = await deployStack(c, task, progress);
      if (!main) {
        deps.push(out);
        runtimes[app.name] = await this.runtimeOf(server, app, stack, mine);
      } else {
        return { ...out, server, dependencies: deps };
      }
    }
    throw new Error('unreachable: the catalogue order ends with the app itself');
  }

  /** A dependency already deployed on the server: its runtime from the inputs this DECKHAND_HOME deployed it with. */
  private async existingDependency(
    c: DeployContext,
    server: string,
    app: AppDefinition,
    deps: Record<string, DependencyRuntime>,
    redactor: Redactor,
  ): Promise<{ runtime: DependencyRuntime; outcome: StackOutcome } | undefined> {
    const current = await readCurrent(c.runner, app.name);
    if (!current.record) return undefined;
    const state = await this.o.states.read(server, app.name);
    if (!state?.deployed) {
      throw new DeckhandError(
        'dependency_unknown',
        `${app.name} is deployed on "${server}", but not by this deckhand: its passwords are not in DECKHAND_HOME.`,
        {
          hint: `Deploy the dependent app from the DECKHAND_HOME that deployed ${app.name}, or undeploy ${app.name} first.`,
        },
      );
    }
    redactor.add(Object.values(state.secrets));
    c.note(`${app.name}: dependency already deployed (release ${current.record.hash.slice(0, 12)})`);
    return {
      runtime: await this.runtimeOf(server, app, app.name, deps),
      outcome: {
        stack: app.name,
        app: app.name,
        changed: false,
        release: current.record.hash.slice(0, 12),
        previous_release: current.record.previous?.hash.slice(0, 12) ?? null,
        url: current.record.url,
        services: current.record.services.map((name) => ({ name, replicas: '?', image: '' })),
        warnings: [],
      },
    };
  }

  private async runtimeOf(
    server: string,
    app: AppDefinition,
    stack: string,
    deps: Record<string, DependencyRuntime>,
  ): Promise<DependencyRuntime> {
    const state = await this.o.states.read(server, stack);
    return dependencyRuntime(app, {
      stackName: stack,
      env: state?.deployed?.env ?? {},
      secrets: state?.secrets ?? {},
      dependencies: deps,
    });
  }

  private catalogueTask(
    server: string,
    app: AppDefinition,
    stack: string,
    params: DeployParams,
    input: DeployInput,
    deps: Record<string, DependencyRuntime>,
    redactor: Redactor,
  ): StackTask {
    let env: Record<string, string> = {};
    let domain: string | null = null;
    return {
      stack,
      prepare: async () => {
        const state = await this.o.states.read(server, stack);
        const { secrets, generated } = resolveSecrets(app, state?.secrets ?? {});
        redactor.add(Object.values(secrets));
        if (generated.length > 0) await this.o.states.saveSecrets(server, stack, app.name, secrets);
        env = input.env ?? (params.env_keys === null ? { ...(state?.deployed?.env ?? {}) } : {});
        redactor.add(Object.values(env));
        domain = params.domain === undefined ? (state?.deployed?.domain ?? null) : params.domain;
        const release = catalogueRelease(app, {
          stack,
          domain,
          env,
          secrets,
          dependencies: deps,
          imageOverrides: this.o.deploy.imageOverrides,
        });
        return release.spec;
      },
      recorded: (spec, record) =>
        this.o.states.markDeployed(server, stack, app.name, {
          env,
          domain,
          hash: spec.hash,
          deployed_at: record.deployed_at,
        }),
    };
  }

  private composeTask(server: string, params: DeployParams, input: DeployInput, redactor: Redactor): StackTask {
    let env: Record<string, string> = {};
    let domain: string | null = null;
    let route = params.route;
    return {
      stack: params.stack,
      prepare: async () => {
        const state = await this.o.states.read(server, params.stack);
        env = input.env ?? (params.env_keys === null ? { ...(state?.deployed?.env ?? {}) } : {});
        redactor.add(Object.values(env));
        domain = params.domain === undefined ? (state?.deployed?.domain ?? null) : params.domain;
        route ??= state?.deployed?.route;
        return composeRelease(input.compose ?? '', { stack: params.stack, domain, env, route }).spec;
      },
      recorded: (spec, record) =>
        this.o.states.markDeployed(server, params.stack, null, {
          env,
          domain,
          route,
          hash: spec.hash,
          deployed_at: record.deployed_at,
        }),
    };
  }
}
