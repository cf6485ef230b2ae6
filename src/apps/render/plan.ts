import type { AppDefinition } from '../catalogue/schema.js';
import { COMPOSE_FILE_NAME, ENV_FILE_NAME, PUBLIC_NETWORK } from './constants.js';
import type { DependencyRuntime, EnvEntry, EnvSource } from './env-resolve.js';
import { healthTimeoutSeconds, type EffectiveService, type UpdateOrder } from './service.js';

export interface PlannedService {
  readonly name: string;
  /** The Swarm service name, `<stack>_<service>`. */
  readonly fullName: string;
  readonly image: string;
  readonly replicas: number;
  readonly updateOrder: UpdateOrder;
  readonly healthcheck: boolean;
  /** How long Swarm may take to call a new task healthy or failed; null without a healthcheck. */
  readonly healthTimeoutSeconds: number | null;
  readonly routed: boolean;
  readonly database: boolean;
}

export interface PlannedRoute {
  readonly service: string;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** Probe over HTTPS with this Host header (and SNI); any status below 400 is healthy. */
  readonly probe: { readonly path: string; readonly hostHeader: string };
}

export interface PlannedHook {
  readonly app: string;
  readonly stackName: string;
  readonly serviceFullName: string;
  readonly description: string;
  /** argv for `docker exec` in a running task of that service; quote each word when building a shell line. */
  readonly command: readonly string[];
}

/** What a release will do, safe to show the model: values of sensitive keys are left out. */
export interface ReleasePlan {
  readonly app: string;
  readonly version: string;
  readonly stackName: string;
  readonly network: string;
  readonly composeFile: string;
  readonly envFile: string;
  readonly services: readonly PlannedService[];
  /** Swarm volume names (`<stack>_<volume>`): what undeploy with remove_data deletes. */
  readonly volumes: readonly string[];
  readonly route: PlannedRoute | null;
  readonly env: readonly { key: string; source: EnvSource; sensitive: boolean; value?: string }[];
  readonly dependencies: readonly { app: string; stackName: string }[];
  /** Run before `docker stack deploy`, in order; each is idempotent. */
  readonly hooks: readonly PlannedHook[];
  readonly warnings: readonly string[];
}

export interface PlanInputs {
  readonly app: AppDefinition;
  readonly stackName: string;
  readonly domain: string | undefined;
  readonly effective: Readonly<Record<string, EffectiveService>>;
  readonly dependencies: Readonly<Record<string, DependencyRuntime>>;
  readonly env: readonly EnvEntry[];
}

export function buildPlan(inputs: PlanInputs): ReleasePlan {
  const { app, stackName, domain, effective, dependencies } = inputs;
  const warnings: string[] = [];
  const routed = domain !== undefined ? app.route : undefined;

  const services = Object.keys(app.services)
    .sort()
    .map((name): PlannedService => {
      const service = app.services[name];
      const run = effective[name];
      if (!service || !run) throw new Error(`service ${name} vanished while planning`);
      if (!run.healthcheck) {
        const reason = service.healthcheckUnavailable ?? 'none given';
        warnings.push(
          routed?.service === name
            ? `${name} has no in-container health check (${reason}); the HTTP probe is its health signal`
            : `${name} has no in-container health check (${reason}) and no domain to probe: only "running" can be checked`,
        );
      }
      return {
        name,
        fullName: `${stackName}_${name}`,
        image: run.image,
        replicas: service.replicas,
        updateOrder: service.singleWriter ? 'stop-first' : 'start-first',
        healthcheck: run.healthcheck !== undefined,
        healthTimeoutSeconds: run.healthcheck ? healthTimeoutSeconds(run.healthcheck) : null,
        routed: routed?.service === name,
        database: service.database,
      };
    });

  if (app.route && domain === undefined) {
    warnings.push(
      `no domain: Traefik does not route ${app.name}; it is reachable only on the ${PUBLIC_NETWORK} network`,
    );
  }

  const volumes = [...new Set(Object.values(app.services).flatMap((s) => s.volumes.map((v) => v.name)))]
    .sort()
    .map((v) => `${stackName}_${v}`);

  const hooks = app.dependencies.flatMap((dep): PlannedHook[] => {
    const runtime = dependencies[dep.app];
    if (!dep.setup || !runtime) return [];
    return [
      {
        app: dep.app,
        stackName: runtime.stackName,
        serviceFullName: `${runtime.stackName}_${dep.setup.service}`,
        description: dep.setup.description,
        command: dep.setup.command,
      },
    ];
  });

  return {
    app: app.name,
    version: app.version,
    stackName,
    network: PUBLIC_NETWORK,
    composeFile: COMPOSE_FILE_NAME,
    envFile: ENV_FILE_NAME,
    services,
    volumes,
    route:
      routed && domain !== undefined
        ? {
            service: routed.service,
            host: domain,
            port: routed.port,
            url: `https://${domain}`,
            probe: { path: routed.probePath, hostHeader: domain },
          }
        : null,
    env: inputs.env.map((e) =>
      e.sensitive
        ? { key: e.key, source: e.source, sensitive: true }
        : { key: e.key, source: e.source, sensitive: false, value: e.value },
    ),
    dependencies: app.dependencies.flatMap((dep) => {
      const runtime = dependencies[dep.app];
      return runtime ? [{ app: dep.app, stackName: runtime.stackName }] : [];
    }),
    hooks,
    warnings,
  };
}
