import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CERT_RESOLVER, ENV_FILE_NAME, PUBLIC_NETWORK } from '../../src/apps/render/constants.js';
import { RenderError } from '../../src/apps/errors.js';
import { pinnedImageProblem } from '../../src/apps/render/images.js';
import { releaseHash, renderApp } from '../../src/apps/render/render.js';
import { renderTraefikStack } from '../../src/apps/render/traefik-stack.js';
import { catalogue, renderStandard, sensitiveValues, standardOptions } from './helpers.js';

interface ComposeService {
  image: string;
  ports?: unknown;
  env_file?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[]; interval: string; retries: number };
  networks?: string[];
  deploy: {
    update_config: { order: string; failure_action: string };
    restart_policy: { condition: string };
    labels: Record<string, string>;
  };
}
interface ComposeDoc {
  version: string;
  services: Record<string, ComposeService>;
  networks: Record<string, { external?: boolean }>;
  volumes?: Record<string, unknown>;
}

const allApps = catalogue.names().map((name) => catalogue.get(name));
const rendered = allApps.map((app) => ({ app, out: renderStandard(app), options: standardOptions(app) }));
const traefik = renderTraefikStack({ acmeEmail: 'ops@example.test' });

describe('rendered catalogue apps', () => {
  it.each(rendered.map((r) => [r.app.name, r] as const))('%s is a Swarm compose v3.8 file', (_name, { out }) => {
    const doc = parse(out.compose) as ComposeDoc;
    expect(doc.version).toBe('3.8');
    expect(doc.networks).toEqual({ [PUBLIC_NETWORK]: { external: true } });
    for (const service of Object.values(doc.services)) {
      expect(service.networks).toEqual([PUBLIC_NETWORK]);
      expect(service.env_file).toEqual([ENV_FILE_NAME]);
      expect(service.deploy.update_config.failure_action).toBe('rollback');
      expect(service.deploy.restart_policy.condition).toBe('any');
    }
  });

  it('pins every image to a version tag', () => {
    for (const { out } of rendered) {
      for (const service of Object.values((parse(out.compose) as ComposeDoc).services)) {
        expect(pinnedImageProblem(service.image)).toBeUndefined();
        expect(service.image).not.toMatch(/:latest$/);
      }
    }
    expect(pinnedImageProblem(parse(traefik.compose).services.traefik.image)).toBeUndefined();
  });

  it('publishes no ports for any app: only Traefik publishes, and only 80 and 443', () => {
    for (const { out } of rendered) {
      for (const service of Object.values((parse(out.compose) as ComposeDoc).services)) {
        expect(service.ports).toBeUndefined();
      }
      expect(out.compose).not.toMatch(/^\s*ports:/m);
    }
    const ports = (parse(traefik.compose) as { services: { traefik: { ports: { published: number }[] } } }).services
      .traefik.ports;
    expect(ports.map((p) => p.published)).toEqual([80, 443]);
  });

  it('marks databases and keeps them unrouted', () => {
    const databases = rendered.filter(({ app }) => Object.values(app.services).some((s) => s.database));
    expect(databases.map(({ app }) => app.name).sort()).toEqual(['postgres', 'redis']);
    for (const { out } of databases) {
      expect(out.compose).not.toContain('traefik.');
      expect(out.plan.route).toBeNull();
      expect(out.plan.services.every((s) => s.updateOrder === 'stop-first')).toBe(true);
    }
  });

  it('uses one certificate resolver name everywhere, the one Traefik defines', () => {
    const names = new Set<string>();
    for (const text of [...rendered.map((r) => r.out.compose), traefik.compose]) {
      for (const m of text.matchAll(/tls\.certresolver: (\S+)/g)) names.add(m[1] as string);
      for (const m of text.matchAll(/--certificatesresolvers\.([^.]+)\./g)) names.add(m[1] as string);
    }
    expect([...names]).toEqual([CERT_RESOLVER]);
  });

  it('gives every service a health check, or a stated reason and an HTTP probe', () => {
    for (const { app, out } of rendered) {
      const doc = parse(out.compose) as ComposeDoc;
      for (const [name, service] of Object.entries(doc.services)) {
        if (service.healthcheck) {
          expect(['CMD', 'CMD-SHELL']).toContain(service.healthcheck.test[0]);
          expect(service.healthcheck.retries).toBeGreaterThan(0);
        } else {
          expect(app.services[name]?.healthcheckUnavailable).toBeTruthy();
          expect(out.plan.route?.service).toBe(name);
          expect(out.plan.route?.probe.path).toMatch(/^\//);
        }
      }
    }
  });

  it('labels routed services for Traefik under deploy.labels', () => {
    for (const { app, out } of rendered.filter((r) => r.app.route)) {
      const route = app.route!;
      const labels = (parse(out.compose) as ComposeDoc).services[route.service]!.deploy.labels;
      const router = out.plan.stackName;
      expect(labels).toMatchObject({
        'traefik.enable': 'true',
        [`traefik.http.routers.${router}.rule`]: `Host(\`${app.name}.example.test\`)`,
        [`traefik.http.routers.${router}.entrypoints`]: 'websecure',
        [`traefik.http.routers.${router}.tls.certresolver`]: CERT_RESOLVER,
        [`traefik.http.services.${router}.loadbalancer.server.port`]: String(route.port),
        'deckhand.app': app.name,
      });
      expect(out.plan.route).toMatchObject({ host: `${app.name}.example.test`, port: route.port });
    }
  });

  it('updates stateless web apps start-first and single-writer services stop-first', () => {
    const whoami = rendered.find((r) => r.app.name === 'whoami')!;
    expect((parse(whoami.out.compose) as ComposeDoc).services.whoami!.deploy.update_config.order).toBe('start-first');
    for (const { app, out } of rendered) {
      for (const planned of out.plan.services) {
        expect(planned.updateOrder).toBe(app.services[planned.name]!.singleWriter ? 'stop-first' : 'start-first');
      }
    }
  });

  it('never puts a secret in the compose text or the plan, only in the env file', () => {
    for (const { app, out, options } of rendered) {
      const secrets = sensitiveValues(app, options);
      if (app.name === 'postgres' || app.name === 'n8n' || app.name === 'redis')
        expect(secrets.length).toBeGreaterThan(0);
      for (const secret of secrets) {
        expect(out.compose).not.toContain(secret);
        expect(JSON.stringify(out.plan)).not.toContain(secret);
        expect(out.envFile).toContain(secret);
      }
    }
  });

  it('hands n8n the postgres password through its env file and the postgres address through its compose', () => {
    const { out, options } = rendered.find((r) => r.app.name === 'n8n')!;
    const postgresEnv = options.dependencies!.postgres!.env;
    expect(out.envFile).toContain(`DB_POSTGRESDB_PASSWORD=${postgresEnv.POSTGRES_PASSWORD}\n`);
    const env = (parse(out.compose) as ComposeDoc).services.n8n!.environment!;
    expect(env.DB_POSTGRESDB_HOST).toBe('postgres_postgres');
    expect(env.DB_POSTGRESDB_PORT).toBe('5432');
    expect(out.plan.hooks).toEqual([
      expect.objectContaining({ app: 'postgres', serviceFullName: 'postgres_postgres' }),
    ]);
  });

  it('escapes $ so docker stack deploy does not interpolate it', () => {
    const { out } = rendered.find((r) => r.app.name === 'postgres')!;
    const test = (parse(out.compose) as ComposeDoc).services.postgres!.healthcheck!.test;
    expect(test[1]).toContain('"$$POSTGRES_USER"');
    expect(out.compose).not.toMatch(/[^$]\$[A-Z{]/);
  });
});

describe('deterministic rendering', () => {
  it('gives byte-identical output and hash for the same inputs', () => {
    for (const app of allApps) {
      const a = renderApp(app, standardOptions(app));
      const b = renderApp(app, standardOptions(app));
      expect(b.compose).toBe(a.compose);
      expect(b.envFile).toBe(a.envFile);
      expect(releaseHash(b)).toBe(releaseHash(a));
    }
  });

  it('does not depend on the order env keys or secrets are given in', () => {
    const app = catalogue.get('postgres');
    const base = standardOptions(app);
    const a = renderApp(app, { ...base, env: { POSTGRES_USER: 'app', POSTGRES_DB: 'appdb' } });
    const b = renderApp(app, {
      ...base,
      env: { POSTGRES_DB: 'appdb', POSTGRES_USER: 'app' },
      secrets: Object.fromEntries(Object.entries(base.secrets).reverse()),
    });
    expect(releaseHash(b)).toBe(releaseHash(a));
  });

  it('changes the hash when a setting, a secret or the domain changes', () => {
    const app = catalogue.get('whoami');
    const base = standardOptions(app);
    const hash = releaseHash(renderApp(app, base));
    expect(releaseHash(renderApp(app, { ...base, env: { WHOAMI_NAME: 'other' } }))).not.toBe(hash);
    expect(releaseHash(renderApp(app, { ...base, domain: 'other.example.test' }))).not.toBe(hash);
    const pg = catalogue.get('postgres');
    const pgBase = standardOptions(pg);
    expect(releaseHash(renderApp(pg, { ...pgBase, secrets: { POSTGRES_PASSWORD: 'x'.repeat(32) } }))).not.toBe(
      releaseHash(renderApp(pg, pgBase)),
    );
  });
});

describe('render inputs', () => {
  const whoami = catalogue.get('whoami');

  it('swaps images with imageOverrides, including a health check the substitute can run', () => {
    const out = renderApp(whoami, {
      ...standardOptions(whoami),
      imageOverrides: {
        whoami: {
          image: 'local/whoami-busybox:1',
          command: ['httpd', '-f', '-p', '80'],
          healthcheck: {
            test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1/'],
            intervalSeconds: 2,
            timeoutSeconds: 2,
            retries: 3,
            startPeriodSeconds: 1,
          },
        },
      },
    });
    const service = (parse(out.compose) as ComposeDoc).services.whoami!;
    expect(service.image).toBe('local/whoami-busybox:1');
    expect(service.healthcheck?.test).toEqual(['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1/']);
    expect(out.plan.services[0]).toMatchObject({ image: 'local/whoami-busybox:1', healthcheck: true });
  });

  it('refuses overrides that are unpinned or name no service', () => {
    const attempt = () =>
      renderApp(whoami, { ...standardOptions(whoami), imageOverrides: { whoami: 'busybox', web: 'local/x:1' } });
    expect(attempt).toThrow(RenderError);
    expect(attempt).toThrow(/imageOverrides\.whoami: image 'busybox' has no tag/);
    expect(attempt).toThrow(/imageOverrides\.web: whoami has no service web/);
  });

  it('renders a web app without a domain unrouted, with a warning', () => {
    const out = renderApp(whoami, { ...standardOptions(whoami), domain: undefined });
    expect(out.compose).not.toContain('traefik.');
    expect(out.plan.route).toBeNull();
    expect(out.plan.warnings.join('\n')).toMatch(/no domain: Traefik does not route whoami/);
  });

  it('explains missing or misplaced inputs', () => {
    const n8n = catalogue.get('n8n');
    expect(() => renderApp(n8n, { ...standardOptions(n8n), domain: undefined })).toThrow(/n8n needs a domain/);
    expect(() => renderApp(n8n, { ...standardOptions(n8n), dependencies: {} })).toThrow(
      /n8n depends on postgres: pass dependencies\.postgres/,
    );
    expect(() => renderApp(n8n, { ...standardOptions(n8n), secrets: {} })).toThrow(
      /secret N8N_ENCRYPTION_KEY is missing/,
    );
    const pg = catalogue.get('postgres');
    expect(() => renderApp(pg, { ...standardOptions(pg), domain: 'db.example.test' })).toThrow(
      /postgres is not a web app: it takes no domain/,
    );
    expect(() => renderApp(whoami, { ...standardOptions(whoami), stackName: 'Bad Name' })).toThrow(
      /stack name 'Bad Name'/,
    );
    expect(() => renderApp(whoami, { ...standardOptions(whoami), domain: 'not a domain' })).toThrow(
      /is not a valid domain name/,
    );
  });

  it('reports user env problems before rendering', () => {
    expect(() => renderApp(whoami, { ...standardOptions(whoami), env: { NOPE: '1' } })).toThrow(
      /NOPE is not a setting of whoami/,
    );
  });
});
