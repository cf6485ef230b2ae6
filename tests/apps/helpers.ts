import { dependencyRuntime } from '../../src/apps/render/env-resolve.js';
import { loadCatalogue, type Catalogue } from '../../src/apps/catalogue/load.js';
import { renderApp, type RenderedApp, type RenderOptions } from '../../src/apps/render/render.js';
import { resolveSecrets, type RandomSource } from '../../src/apps/render/secrets.js';
import type { AppDefinition } from '../../src/apps/catalogue/schema.js';

/** A random source that yields the same bytes on every run, so rendered goldens are stable. */
export function counterRandom(seed = 0): RandomSource {
  let next = seed;
  return (size) => {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = next++ % 256;
    return bytes;
  };
}

export const catalogue: Catalogue = loadCatalogue();

export function domainFor(app: AppDefinition): string | undefined {
  return app.route ? `${app.name}.example.test` : undefined;
}

/** The options a deploy job would pass for `app` on a fresh server, with deterministic secrets. */
export function standardOptions(app: AppDefinition, seed = 1): RenderOptions {
  const dependencies: Record<string, ReturnType<typeof dependencyRuntime>> = {};
  for (const dep of app.dependencies) {
    const depApp = catalogue.get(dep.app);
    dependencies[dep.app] = dependencyRuntime(depApp, {
      stackName: dep.app,
      secrets: resolveSecrets(depApp, {}, counterRandom(seed + 100)).secrets,
    });
  }
  return {
    stackName: app.name,
    domain: domainFor(app),
    secrets: resolveSecrets(app, {}, counterRandom(seed)).secrets,
    dependencies,
  };
}

export function renderStandard(app: AppDefinition, seed = 1): RenderedApp {
  return renderApp(app, standardOptions(app, seed));
}

/** Values that must never appear in compose text or in a plan. */
export function sensitiveValues(app: AppDefinition, options: RenderOptions): string[] {
  const values: string[] = Object.values(options.secrets);
  for (const [key, spec] of Object.entries(app.env)) {
    const from = spec.fromDependency;
    if (spec.sensitive && from) {
      const value = options.dependencies?.[from.app]?.env[from.key];
      if (value) values.push(value);
    }
    if (spec.sensitive && typeof options.env?.[key] === 'string') values.push(options.env[key] as string);
  }
  return values;
}
