import type { AppDefinition } from './schema.js';

export interface AppSetting {
  readonly key: string;
  readonly description: string;
  readonly required: boolean;
  readonly default?: string;
  readonly allowed?: readonly string[];
  /** 'deckhand' for generated secrets, or the dependency a value is taken from: not set by the user. */
  readonly managedBy?: string;
}

export interface AppSummary {
  readonly name: string;
  readonly description: string;
  readonly version: string;
  readonly images: readonly string[];
  readonly web: boolean;
  readonly requiresDomain: boolean;
  readonly dependencies: readonly string[];
  readonly settings: readonly AppSetting[];
}

/** What list-apps shows for a catalogue app: what it is, what it needs and what can be set. */
export function summarizeApp(app: AppDefinition): AppSummary {
  return {
    name: app.name,
    description: app.description,
    version: app.version,
    images: Object.keys(app.services)
      .sort()
      .map((name) => app.services[name]?.image ?? ''),
    web: app.route !== undefined,
    requiresDomain: app.route?.requiresDomain ?? false,
    dependencies: app.dependencies.map((d) => d.app),
    settings: Object.keys(app.env)
      .sort()
      .map((key): AppSetting => {
        const spec = app.env[key];
        if (!spec) throw new Error(`setting ${key} vanished`);
        return {
          key,
          description: spec.description,
          required: spec.required,
          ...(spec.default !== undefined ? { default: spec.default } : {}),
          ...(spec.allowed ? { allowed: spec.allowed } : {}),
          ...(spec.secret ? { managedBy: 'deckhand' } : {}),
          ...(spec.fromDependency ? { managedBy: spec.fromDependency.app } : {}),
        };
      }),
  };
}
