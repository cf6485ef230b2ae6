import {
  releaseHash,
  renderApp,
  renderUserCompose,
  validateUserCompose,
  type AppDefinition,
  type DependencyRuntime,
  type ImageOverride,
  type ReleasePlan,
  type UserReleasePlan,
} from '../render/index.js';
import { maskEnvFile } from './redact.js';
import type { ReleaseSpec, RouteInput } from './types.js';

export interface CatalogueReleaseInput {
  readonly stack: string;
  readonly domain: string | null;
  readonly env: Readonly<Record<string, string>>;
  readonly secrets: Readonly<Record<string, string>>;
  readonly dependencies: Readonly<Record<string, DependencyRuntime>>;
  /** Keyed by image reference (DECKHAND_IMAGE_OVERRIDES), applied to every service running that image. */
  readonly imageOverrides: Readonly<Record<string, ImageOverride>>;
}

export interface RenderedRelease {
  readonly spec: ReleaseSpec;
  /** What dry_run shows: the plan with sensitive values left out, the env file masked. */
  readonly plan: ReleasePlan | UserReleasePlan;
  readonly maskedEnvFile: string;
}

/** Image overrides keyed by image reference, turned into the per-service form renderApp takes. */
export function serviceOverrides(
  app: AppDefinition,
  byImage: Readonly<Record<string, ImageOverride>>,
): Record<string, ImageOverride> {
  const out: Record<string, ImageOverride> = {};
  for (const [name, service] of Object.entries(app.services)) {
    const o = byImage[service.image];
    if (o !== undefined) out[name] = o;
  }
  return out;
}

/** The runtimes of the dependencies `app` declares, out of those resolved so far. */
export function runtimesFor(
  app: AppDefinition,
  runtimes: Readonly<Record<string, DependencyRuntime>>,
): Record<string, DependencyRuntime> {
  const out: Record<string, DependencyRuntime> = {};
  for (const d of app.dependencies) {
    const r = runtimes[d.app];
    if (r) out[d.app] = r;
  }
  return out;
}

export function overriddenImage(image: string, byImage: Readonly<Record<string, ImageOverride>>): string {
  const o = byImage[image];
  return o === undefined ? image : typeof o === 'string' ? o : o.image;
}

export function catalogueRelease(app: AppDefinition, i: CatalogueReleaseInput): RenderedRelease {
  const rendered = renderApp(app, {
    stackName: i.stack,
    domain: i.domain ?? undefined,
    env: i.env,
    secrets: i.secrets,
    dependencies: i.dependencies,
    imageOverrides: serviceOverrides(app, i.imageOverrides),
  });
  const { plan } = rendered;
  const routed = app.route ? plan.services.find((s) => s.name === app.route?.service) : undefined;
  const spec: ReleaseSpec = {
    stack: i.stack,
    app: app.name,
    appVersion: app.version,
    compose: rendered.compose,
    envFile: rendered.envFile,
    hash: releaseHash(rendered),
    interpolatesEnv: false,
    services: plan.services.map((s) => ({
      name: s.name,
      fullName: s.fullName,
      image: s.image,
      healthcheck: s.healthcheck,
    })),
    volumes: plan.volumes,
    domain: plan.route?.host ?? null,
    url: plan.route?.url ?? null,
    directProbe:
      app.route && routed && !routed.healthcheck
        ? { fullName: routed.fullName, port: app.route.port, path: app.route.probePath }
        : null,
    routeProbe: plan.route ? { host: plan.route.probe.hostHeader, path: plan.route.probe.path } : null,
    hooks: plan.hooks,
    dependencies: plan.dependencies.map((d) => d.stackName),
    warnings: plan.warnings,
  };
  const shown = new Set(plan.env.filter((e) => !e.sensitive && e.source === 'default').map((e) => e.key));
  return { spec, plan, maskedEnvFile: maskEnvFile(rendered.envFile, shown) };
}

export interface ComposeReleaseInput {
  readonly stack: string;
  readonly domain: string | null;
  readonly env: Readonly<Record<string, string>>;
  readonly route?: RouteInput | undefined;
}

/** A user's own compose file: validated (build: refused, pinned images), routed when a domain is given. */
export function composeRelease(text: string, i: ComposeReleaseInput): RenderedRelease {
  const user = validateUserCompose(text);
  const rendered = renderUserCompose(user, {
    stackName: i.stack,
    domain: i.domain ?? undefined,
    env: i.env,
    route: i.route
      ? {
          service: i.route.service,
          port: i.route.port,
          ...(i.route.probe_path ? { probePath: i.route.probe_path } : {}),
        }
      : undefined,
  });
  const { plan } = rendered;
  const spec: ReleaseSpec = {
    stack: i.stack,
    app: null,
    appVersion: null,
    compose: rendered.compose,
    envFile: rendered.envFile,
    hash: releaseHash(rendered),
    interpolatesEnv: plan.interpolatesEnv,
    services: plan.services.map((s) => ({ name: s.name, fullName: s.fullName, image: s.image, healthcheck: true })),
    volumes: plan.volumes,
    domain: plan.route?.host ?? null,
    url: plan.route?.url ?? null,
    directProbe: null,
    routeProbe: plan.route ? { host: plan.route.probe.hostHeader, path: plan.route.probe.path } : null,
    hooks: [],
    dependencies: [],
    warnings: plan.warnings,
  };
  return { spec, plan, maskedEnvFile: maskEnvFile(rendered.envFile, new Set()) };
}
