import type { AppDefinition, HealthcheckDefinition, ServiceDefinition } from '../catalogue/schema.js';
import { escapeDollars, seconds, sortedRecord } from './compose-yaml.js';
import {
  CERT_RESOLVER,
  ENTRYPOINT_WEBSECURE,
  ENV_FILE_NAME,
  LABEL_APP,
  LABEL_APP_VERSION,
  LABEL_STACK,
  PUBLIC_NETWORK,
} from './constants.js';
import { fillPlaceholders, type PlaceholderContext } from './placeholders.js';

export type UpdateOrder = 'start-first' | 'stop-first';

/** What actually runs for a service after image overrides are applied. */
export interface EffectiveService {
  readonly image: string;
  readonly command: readonly string[] | undefined;
  readonly healthcheck: HealthcheckDefinition | undefined;
}

export function renderHealthcheck(check: HealthcheckDefinition): Record<string, unknown> {
  return {
    test: check.test.map(escapeDollars),
    interval: seconds(check.intervalSeconds),
    timeout: seconds(check.timeoutSeconds),
    retries: check.retries,
    start_period: seconds(check.startPeriodSeconds),
  };
}

/** How long Swarm may take to call a new task healthy or failed; the deploy job waits at least this long. */
export function healthTimeoutSeconds(check: HealthcheckDefinition): number {
  return check.startPeriodSeconds + check.retries * (check.intervalSeconds + check.timeoutSeconds);
}

export function traefikLabels(router: string, domain: string, port: number): Record<string, string> {
  return {
    'traefik.enable': 'true',
    'traefik.swarm.network': PUBLIC_NETWORK,
    [`traefik.http.routers.${router}.rule`]: `Host(\`${domain}\`)`,
    [`traefik.http.routers.${router}.entrypoints`]: ENTRYPOINT_WEBSECURE,
    [`traefik.http.routers.${router}.tls.certresolver`]: CERT_RESOLVER,
    [`traefik.http.routers.${router}.service`]: router,
    [`traefik.http.services.${router}.loadbalancer.server.port`]: String(port),
  };
}

/**
 * Updates and rollbacks fail closed: a task that does not become healthy rolls the service back.
 * start-first keeps the old task serving until the new one is healthy; services that must never run
 * twice on the same data (databases, SQLite apps, schedulers) stop the old task first instead.
 */
export function deployBlock(
  replicas: number,
  order: UpdateOrder,
  labels: Record<string, string>,
): Record<string, unknown> {
  return {
    mode: 'replicated',
    replicas,
    update_config: {
      parallelism: 1,
      delay: '5s',
      order,
      failure_action: 'rollback',
      monitor: '15s',
      max_failure_ratio: 0,
    },
    rollback_config: { parallelism: 1, delay: '0s', order, failure_action: 'pause', monitor: '15s' },
    restart_policy: { condition: 'any', delay: '5s', window: '60s' },
    labels: sortedRecord(labels),
  };
}

export interface ServiceRenderContext {
  readonly app: AppDefinition;
  readonly stackName: string;
  readonly domain: string | undefined;
  readonly placeholders: PlaceholderContext;
}

export function renderService(
  name: string,
  service: ServiceDefinition,
  effective: EffectiveService,
  ctx: ServiceRenderContext,
): Record<string, unknown> {
  const { app, stackName, domain } = ctx;
  const labels: Record<string, string> = {
    [LABEL_APP]: app.name,
    [LABEL_APP_VERSION]: app.version,
    [LABEL_STACK]: stackName,
  };
  if (app.route?.service === name && domain !== undefined) {
    Object.assign(labels, traefikLabels(stackName, domain, app.route.port));
  }
  const out: Record<string, unknown> = { image: effective.image };
  if (effective.command) out.command = effective.command.map(escapeDollars);
  out.env_file = [ENV_FILE_NAME];
  const environment = Object.entries(service.environment).map(
    ([key, value]) => [key, escapeDollars(fillPlaceholders(value, ctx.placeholders))] as const,
  );
  if (environment.length > 0) out.environment = sortedRecord(Object.fromEntries(environment));
  if (effective.healthcheck) out.healthcheck = renderHealthcheck(effective.healthcheck);
  if (service.volumes.length > 0) {
    out.volumes = service.volumes.map((v) => `${v.name}:${v.target}${v.readOnly ? ':ro' : ''}`);
  }
  out.networks = [PUBLIC_NETWORK];
  out.deploy = deployBlock(service.replicas, service.singleWriter ? 'stop-first' : 'start-first', labels);
  return out;
}
