import type { ZodIssue } from 'zod';
import { BUILTIN_APPS } from './index.js';
import { appSchema, type AppDefinition } from './schema.js';
import { resolveDependencyOrder } from './dependencies.js';
import { CatalogueError, UnknownAppError } from '../errors.js';
import { findPlaceholders } from '../render/placeholders.js';

export interface Catalogue {
  readonly apps: ReadonlyMap<string, AppDefinition>;
  names(): string[];
  /** Throws UnknownAppError naming the known apps. */
  get(name: string): AppDefinition;
  /** The apps to deploy for `name`, dependencies first and `name` last. */
  dependencyOrder(name: string): AppDefinition[];
}

/**
 * Validates every entry and the links between them, then returns a frozen catalogue. A broken entry fails
 * the whole load with every problem listed as "app 'name': field.path: what is wrong".
 */
export function loadCatalogue(entries: readonly unknown[] = BUILTIN_APPS): Catalogue {
  const issues: string[] = [];
  const parsed: AppDefinition[] = [];
  entries.forEach((entry, index) => {
    const result = appSchema.safeParse(entry);
    if (result.success) parsed.push(result.data);
    else issues.push(...result.error.issues.map((issue) => formatIssue(entryLabel(entry, index), issue)));
  });

  const apps = new Map<string, AppDefinition>();
  for (const app of parsed) {
    if (apps.has(app.name)) issues.push(`app '${app.name}': name: is used by two entries`);
    else apps.set(app.name, app);
  }
  if (issues.length === 0) issues.push(...crossAppIssues(apps));
  if (issues.length > 0) throw new CatalogueError(issues);

  const frozen = new Map(
    [...apps.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, app]) => [name, deepFreeze(withSensitivity(app, apps))]),
  );
  return Object.freeze({
    apps: frozen,
    names: () => [...frozen.keys()],
    get(name: string): AppDefinition {
      const app = frozen.get(name);
      if (!app) throw new UnknownAppError(name, [...frozen.keys()]);
      return app;
    },
    dependencyOrder(name: string): AppDefinition[] {
      return resolveDependencyOrder(name, frozen).map((n) => frozen.get(n) as AppDefinition);
    },
  });
}

function entryLabel(entry: unknown, index: number): string {
  const name = typeof entry === 'object' && entry !== null ? (entry as { name?: unknown }).name : undefined;
  return typeof name === 'string' && name !== '' ? `app '${name}'` : `catalogue entry #${index + 1}`;
}

function formatIssue(label: string, issue: ZodIssue): string {
  const path = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `${label}: ${path}${issue.message}`;
}

function crossAppIssues(apps: ReadonlyMap<string, AppDefinition>): string[] {
  const issues: string[] = [];
  for (const app of apps.values()) {
    const label = `app '${app.name}'`;
    try {
      resolveDependencyOrder(app.name, apps);
    } catch (err) {
      issues.push(`${label}: dependencies: ${(err as Error).message}`);
      continue;
    }
    app.dependencies.forEach((dependency, i) => {
      const target = apps.get(dependency.app);
      if (dependency.setup && target && !(dependency.setup.service in target.services)) {
        issues.push(
          `${label}: dependencies.${i}.setup.service: '${dependency.setup.service}' is not a service of ${dependency.app}`,
        );
      }
    });
    for (const [key, spec] of Object.entries(app.env)) {
      const from = spec.fromDependency;
      if (from && !(from.key in (apps.get(from.app)?.env ?? {}))) {
        issues.push(`${label}: env.${key}.fromDependency: ${from.app} has no setting ${from.key}`);
      }
    }
    for (const [serviceName, service] of Object.entries(app.services)) {
      for (const [key, value] of Object.entries(service.environment)) {
        for (const use of findPlaceholders(value)) {
          if ((use.kind === 'host' || use.kind === 'port') && !apps.get(use.arg ?? '')?.connect) {
            issues.push(
              `${label}: services.${serviceName}.environment.${key}: ${use.raw} needs ${use.arg} to declare connect`,
            );
          }
        }
      }
    }
  }
  return issues;
}

/** A value copied from a dependency is as sensitive as its source. */
function withSensitivity(app: AppDefinition, apps: ReadonlyMap<string, AppDefinition>): AppDefinition {
  const env = Object.fromEntries(
    Object.entries(app.env).map(([key, spec]) => {
      const from = spec.fromDependency;
      const source = from ? apps.get(from.app)?.env[from.key] : undefined;
      const sensitive =
        spec.sensitive ||
        spec.secret !== undefined ||
        (source !== undefined && (source.sensitive || source.secret !== undefined));
      return [key, { ...spec, sensitive }];
    }),
  );
  return { ...app, env };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
