import { describe, expect, it } from 'vitest';
import { BUILTIN_APPS } from '../../src/apps/catalogue/index.js';
import { CatalogueError, UnknownAppError } from '../../src/apps/errors.js';
import { loadCatalogue } from '../../src/apps/catalogue/load.js';

/** A minimal valid app, as plain data, that each test breaks in one place. */
function app(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'demo',
    description: 'demo app',
    version: '1.0.0',
    route: { service: 'web', port: 8080, probePath: '/' },
    services: {
      web: {
        image: 'example/demo:1.0.0',
        healthcheck: {
          test: ['CMD', 'true'],
          intervalSeconds: 5,
          timeoutSeconds: 2,
          retries: 3,
          startPeriodSeconds: 0,
        },
      },
    },
    ...overrides,
  };
}

function loadError(entries: unknown[]): CatalogueError {
  try {
    loadCatalogue(entries);
  } catch (err) {
    if (err instanceof CatalogueError) return err;
    throw err;
  }
  throw new Error('the catalogue loaded');
}

describe('built-in catalogue', () => {
  const catalogue = loadCatalogue();

  it('holds the apps people self-host', () => {
    expect(catalogue.names()).toEqual(['n8n', 'postgres', 'redis', 'uptime-kuma', 'vaultwarden', 'whoami']);
    expect(BUILTIN_APPS).toHaveLength(6);
  });

  it('is frozen', () => {
    const whoami = catalogue.get('whoami');
    expect(Object.isFrozen(whoami)).toBe(true);
    expect(Object.isFrozen(whoami.services.whoami)).toBe(true);
  });

  it('orders dependencies first', () => {
    expect(catalogue.dependencyOrder('n8n').map((a) => a.name)).toEqual(['postgres', 'n8n']);
    expect(catalogue.dependencyOrder('whoami').map((a) => a.name)).toEqual(['whoami']);
  });

  it('names the known apps for an unknown one', () => {
    expect(() => catalogue.get('wordpress')).toThrow(UnknownAppError);
    try {
      catalogue.get('wordpress');
    } catch (err) {
      expect((err as UnknownAppError).hint).toContain('n8n, postgres, redis');
    }
  });

  it('treats a value copied from a secret as sensitive', () => {
    expect(catalogue.get('n8n').env.DB_POSTGRESDB_PASSWORD?.sensitive).toBe(true);
    expect(catalogue.get('n8n').env.DB_POSTGRESDB_USER?.sensitive).toBe(false);
  });
});

describe('broken entries fail loudly, naming the app and the field', () => {
  it('refuses :latest and untagged images', () => {
    const err = loadError([
      app({ services: { web: { ...(app().services as { web: object }).web, image: 'nginx:latest' } } }),
      app({ name: 'other', services: { web: { ...(app().services as { web: object }).web, image: 'nginx' } } }),
    ]);
    expect(err.issues).toEqual([
      expect.stringMatching(/^app 'demo': services\.web\.image: image 'nginx:latest' uses :latest/),
      expect.stringMatching(/^app 'other': services\.web\.image: image 'nginx' has no tag/),
    ]);
  });

  it('names a missing field', () => {
    const { description: _description, ...noDescription } = app();
    expect(loadError([noDescription]).issues).toEqual(["app 'demo': description: Required"]);
  });

  it('refuses a ports field: catalogue apps are reached through Traefik only', () => {
    const web = { ...(app().services as { web: object }).web, ports: ['5432:5432'] };
    expect(loadError([app({ services: { web } })]).message).toMatch(
      /services\.web: Unrecognized key\(s\) in object: 'ports'/,
    );
  });

  it('requires a health check or a reason', () => {
    const web = { image: 'example/demo:1.0.0' };
    expect(loadError([app({ services: { web } })]).message).toMatch(
      /app 'demo': services\.web\.healthcheck: give either a healthcheck or healthcheckUnavailable/,
    );
  });

  it('refuses unknown placeholders and dependencies', () => {
    const web = {
      ...(app().services as { web: object }).web,
      environment: { A: '{{nope}}', B: '{{host:postgres}}' },
    };
    const err = loadError([app({ services: { web } })]);
    expect(err.message).toMatch(/services\.web\.environment\.A: \{\{nope\}\} is not a known placeholder/);
    expect(err.message).toMatch(
      /services\.web\.environment\.B: \{\{host:postgres\}\} refers to 'postgres', which is not in dependencies/,
    );
  });

  it('refuses a dependency on an app that is not in the catalogue', () => {
    const err = loadError([app({ dependencies: [{ app: 'mysql' }] })]);
    expect(err.message).toMatch(/app 'demo': dependencies: demo depends on 'mysql', which is not in the catalogue/);
  });

  it('refuses dependency cycles', () => {
    const err = loadError([
      app({ name: 'a', dependencies: [{ app: 'b' }] }),
      app({ name: 'b', dependencies: [{ app: 'a' }] }),
    ]);
    expect(err.message).toMatch(/dependency cycle: a → b → a/);
  });

  it('refuses a fromDependency key the dependency does not have', () => {
    const err = loadError([
      ...BUILTIN_APPS.filter((a) => (a as { name: string }).name === 'postgres'),
      app({
        dependencies: [{ app: 'postgres' }],
        env: { DB_PASS: { description: 'x', fromDependency: { app: 'postgres', key: 'PASSWORD' } } },
      }),
    ]);
    expect(err.message).toMatch(/app 'demo': env\.DB_PASS\.fromDependency: postgres has no setting PASSWORD/);
  });

  it('refuses a database that could run twice on its data', () => {
    const web = { ...(app().services as { web: object }).web, database: true };
    expect(loadError([app({ services: { web } })]).message).toMatch(/a database service must be singleWriter/);
  });

  it('refuses duplicate names and labels entries without a name by position', () => {
    expect(loadError([app(), app()]).message).toMatch(/app 'demo': name: is used by two entries/);
    expect(loadError([{}]).message).toMatch(/catalogue entry #1: name: Required/);
  });
});
