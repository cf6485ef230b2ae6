import type { AppDefinition } from '../catalogue/schema.js';
import { validateEnv } from './env-validate.js';
import { RenderError } from '../errors.js';

export type EnvSource = 'user' | 'default' | 'secret' | 'dependency';

export interface EnvEntry {
  readonly key: string;
  readonly value: string;
  readonly source: EnvSource;
  readonly sensitive: boolean;
}

/** A dependency as it is deployed: its stack name, its resolved env (secrets included) and its endpoint. */
export interface DependencyRuntime {
  readonly stackName: string;
  readonly env: Readonly<Record<string, string>>;
  /** The dependency app's `connect`: the service and port other stacks reach it on. */
  readonly connect?: { readonly service: string; readonly port: number } | undefined;
}

export interface EnvInputs {
  /** User values, already checked by validateEnv. */
  readonly values: Readonly<Record<string, string>>;
  readonly secrets: Readonly<Record<string, string>>;
  readonly dependencies: Readonly<Record<string, DependencyRuntime>>;
}

/** Every value that goes into the app's .env, sorted by key; issues name what the caller failed to pass. */
export function resolveEnvEntries(app: AppDefinition, inputs: EnvInputs): { entries: EnvEntry[]; issues: string[] } {
  const entries: EnvEntry[] = [];
  const issues: string[] = [];
  for (const key of Object.keys(app.env).sort()) {
    const spec = app.env[key];
    if (!spec) continue;
    const add = (value: string, source: EnvSource) => entries.push({ key, value, source, sensitive: spec.sensitive });
    if (spec.secret) {
      const value = inputs.secrets[key];
      if (value === undefined || value === '') {
        issues.push(`secret ${key} is missing: pass the secrets returned by resolveSecrets`);
      } else if (/[\n\r\0]/.test(value)) {
        issues.push(`secret ${key} must be a single line`);
      } else {
        add(value, 'secret');
      }
    } else if (spec.fromDependency) {
      const { app: from, key: fromKey } = spec.fromDependency;
      const runtime = inputs.dependencies[from];
      const value = runtime?.env[fromKey];
      if (!runtime) issues.push(`${key} comes from ${from}: pass dependencies.${from} {stackName, env}`);
      else if (value === undefined)
        issues.push(`${key} comes from ${from}, but dependencies.${from}.env has no ${fromKey}`);
      else add(value, 'dependency');
    } else if (inputs.values[key] !== undefined) {
      add(inputs.values[key], 'user');
    } else if (spec.default !== undefined) {
      add(spec.default, 'default');
    }
  }
  return { entries, issues };
}

/** The resolved env of an app as a plain record (secrets included). */
export function resolvedEnvValues(
  app: AppDefinition,
  options: {
    env?: Readonly<Record<string, unknown>>;
    secrets: Readonly<Record<string, string>>;
    dependencies?: Readonly<Record<string, DependencyRuntime>>;
  },
): Record<string, string> {
  const values = validateEnv(app, options.env);
  const { entries, issues } = resolveEnvEntries(app, {
    values,
    secrets: options.secrets,
    dependencies: options.dependencies ?? {},
  });
  if (issues.length > 0) throw new RenderError(app.name, issues);
  return Object.fromEntries(entries.map((e) => [e.key, e.value]));
}

export function formatEnvFile(header: string, entries: readonly EnvEntry[]): string {
  // docker's env-file reader takes each line literally (no quotes, no escapes), which is why values are single-line.
  return [`# ${header}`, ...entries.map((e) => `${e.key}=${e.value}`)].join('\n') + '\n';
}

/**
 * What the deploy job passes as `dependencies[name]` when rendering an app that depends on `app`:
 * built from the dependency's own catalogue entry, its stored secrets and the env it was deployed with.
 */
export function dependencyRuntime(
  app: AppDefinition,
  options: {
    stackName: string;
    env?: Readonly<Record<string, unknown>>;
    secrets: Readonly<Record<string, string>>;
    dependencies?: Readonly<Record<string, DependencyRuntime>>;
  },
): DependencyRuntime {
  return { stackName: options.stackName, env: resolvedEnvValues(app, options), connect: app.connect };
}
