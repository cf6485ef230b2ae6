import type { ImageOverride } from '../../config.js';
import { createHash } from 'node:crypto';
import { healthcheckSchema, type AppDefinition } from '../catalogue/schema.js';
import { sortedRecord, toComposeYaml } from './compose-yaml.js';
import { COMPOSE_VERSION, ENV_FILE_NAME, PUBLIC_NETWORK } from './constants.js';
import { formatEnvFile, resolveEnvEntries, type DependencyRuntime } from './env-resolve.js';
import { validateEnv } from './env-validate.js';
import { RenderError } from '../errors.js';
import { pinnedImageProblem } from './images.js';
import { findPlaceholders } from './placeholders.js';
import { buildPlan, type ReleasePlan } from './plan.js';
import { renderService, type EffectiveService } from './service.js';

/** Swaps a service's image, e.g. for a locally imported busybox image of the same shape in tests. */
/** An image override as configured (config.ts): its healthcheck is checked against the catalogue's schema here. */
export type { ImageOverride };

export interface RenderOptions {
  readonly stackName: string;
  readonly domain?: string | undefined;
  /** User-provided settings; checked against the app's env schema. */
  readonly env?: Readonly<Record<string, unknown>> | undefined;
  /** From resolveSecrets: every secret the app declares. */
  readonly secrets: Readonly<Record<string, string>>;
  /** One entry per dependency the app declares (see dependencyRuntime). */
  readonly dependencies?: Readonly<Record<string, DependencyRuntime>> | undefined;
  /** Keyed by service name. */
  readonly imageOverrides?: Readonly<Record<string, ImageOverride>> | undefined;
}

export interface RenderedApp {
  readonly compose: string;
  readonly envFile: string;
  readonly plan: ReleasePlan;
}

export const STACK_NAME = /^[a-z0-9][a-z0-9_-]{0,49}$/;
export const DOMAIN_NAME =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Renders an app into a Swarm compose file and its .env. Pure and deterministic: the same inputs give
 * byte-identical output, so releaseHash tells a redeploy with no change apart from a real one.
 * Secret values only ever reach the env file; the compose text refers to it with env_file.
 */
export function renderApp(app: AppDefinition, options: RenderOptions): RenderedApp {
  const issues: string[] = [];
  const { stackName } = options;
  const domain = options.domain?.trim().toLowerCase() || undefined;
  if (!STACK_NAME.test(stackName)) {
    issues.push(`stack name '${stackName}' must be 1-50 lower-case letters, digits, '-' or '_'`);
  }
  if (domain !== undefined && !DOMAIN_NAME.test(domain)) issues.push(`'${options.domain}' is not a valid domain name`);
  if (domain !== undefined && !app.route) issues.push(`${app.name} is not a web app: it takes no domain`);
  if (domain === undefined && app.route?.requiresDomain) {
    issues.push(`${app.name} needs a domain: it builds its public URL from it`);
  }
  const dependencies = options.dependencies ?? {};
  issues.push(...dependencyIssues(app, dependencies));
  const effective = effectiveServices(app, options.imageOverrides ?? {}, issues);
  if (issues.length > 0) throw new RenderError(app.name, issues);

  const values = validateEnv(app, options.env);
  const resolved = resolveEnvEntries(app, { values, secrets: options.secrets, dependencies });
  if (resolved.issues.length > 0) throw new RenderError(app.name, resolved.issues);

  const endpoints: Record<string, { host: string; port: number }> = {};
  for (const [name, runtime] of Object.entries(dependencies)) {
    if (runtime.connect)
      endpoints[name] = { host: `${runtime.stackName}_${runtime.connect.service}`, port: runtime.connect.port };
  }
  const ctx = { app, stackName, domain, placeholders: { stackName, domain, endpoints } };

  const services: Record<string, unknown> = {};
  for (const [name, service] of Object.entries(sortedRecord(app.services))) {
    services[name] = renderService(name, service, effective[name] as EffectiveService, ctx);
  }
  const volumeNames = [...new Set(Object.values(app.services).flatMap((s) => s.volumes.map((v) => v.name)))].sort();
  const doc: Record<string, unknown> = {
    version: COMPOSE_VERSION,
    services,
    networks: { [PUBLIC_NETWORK]: { external: true } },
  };
  if (volumeNames.length > 0) doc.volumes = Object.fromEntries(volumeNames.map((v) => [v, {}]));

  const compose = toComposeYaml(
    [
      `deckhand release of ${app.name} ${app.version} as stack ${stackName}.`,
      `Generated from the catalogue: do not edit. Settings and secrets are in ${ENV_FILE_NAME}.`,
    ],
    doc,
  );
  const envFile = formatEnvFile(
    `deckhand: env of stack ${stackName} (${app.name} ${app.version}); holds secrets, keep it mode 0600`,
    resolved.entries,
  );
  const plan = buildPlan({ app, stackName, domain, effective, dependencies, env: resolved.entries });
  return { compose, envFile, plan };
}

/** sha256 over the compose text and the env file: equal hashes mean a redeploy would change nothing. */
export function releaseHash(rendered: { readonly compose: string; readonly envFile: string }): string {
  return createHash('sha256').update(rendered.compose).update('\0').update(rendered.envFile).digest('hex');
}

function dependencyIssues(app: AppDefinition, dependencies: Readonly<Record<string, DependencyRuntime>>): string[] {
  const issues: string[] = [];
  const declared = new Set(app.dependencies.map((d) => d.app));
  const needsEndpoint = new Set(
    Object.values(app.services).flatMap((s) =>
      Object.values(s.environment).flatMap((v) =>
        findPlaceholders(v).flatMap((u) => ((u.kind === 'host' || u.kind === 'port') && u.arg ? [u.arg] : [])),
      ),
    ),
  );
  for (const name of declared) {
    const runtime = dependencies[name];
    if (!runtime) issues.push(`${app.name} depends on ${name}: pass dependencies.${name} (see dependencyRuntime)`);
    else if (!STACK_NAME.test(runtime.stackName))
      issues.push(`dependencies.${name}.stackName is not a valid stack name`);
    else if (needsEndpoint.has(name) && !runtime.connect) issues.push(`dependencies.${name}.connect is missing`);
  }
  for (const name of Object.keys(dependencies)) {
    if (!declared.has(name)) issues.push(`dependencies.${name}: ${app.name} does not depend on ${name}`);
  }
  return issues;
}

function effectiveServices(
  app: AppDefinition,
  overrides: Readonly<Record<string, ImageOverride>>,
  issues: string[],
): Record<string, EffectiveService> {
  for (const name of Object.keys(overrides)) {
    if (!(name in app.services)) {
      issues.push(
        `imageOverrides.${name}: ${app.name} has no service ${name} (services: ${Object.keys(app.services).join(', ')})`,
      );
    }
  }
  const out: Record<string, EffectiveService> = {};
  for (const [name, service] of Object.entries(app.services)) {
    const raw = overrides[name];
    const override = typeof raw === 'string' ? { image: raw } : raw;
    let healthcheck = service.healthcheck;
    if (override?.healthcheck) {
      const parsed = healthcheckSchema.safeParse(override.healthcheck);
      if (parsed.success) healthcheck = parsed.data;
      else issues.push(`imageOverrides.${name}.healthcheck: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    }
    const image = override?.image ?? service.image;
    const problem = pinnedImageProblem(image);
    if (problem) issues.push(`imageOverrides.${name}: ${problem}`);
    out[name] = { image, command: override?.command ?? service.command, healthcheck };
  }
  return out;
}
