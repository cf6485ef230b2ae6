import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CERT_RESOLVER, PUBLIC_NETWORK } from '../../src/apps/render/constants.js';
import { RenderError } from '../../src/apps/errors.js';
import { exportEnvFileScript, renderUserCompose } from '../../src/apps/render/user-compose-render.js';
import { validateUserCompose } from '../../src/apps/render/user-compose.js';
import { DOCKER_CLI, requireAll } from '../helpers/requirements.js';

const FILE = `
services:
  web:
    image: ghcr.io/acme/web:2.4.1
    environment:
      DATABASE_URL: postgres://app:\${DB_PASSWORD}@db:5432/app
      LOG_LEVEL: \${LOG_LEVEL:-info}
    deploy:
      labels:
        - com.example.team=web
  db:
    image: postgres:17.9-alpine
    environment:
      POSTGRES_PASSWORD: \${DB_PASSWORD}
    volumes:
      - dbdata:/var/lib/postgresql/data
volumes:
  dbdata: {}
`;

interface Service {
  networks?: unknown;
  deploy: { labels: Record<string, string>; update_config: { order: string; failure_action: string } };
}

describe('renderUserCompose', () => {
  const user = validateUserCompose(FILE);
  const secret = 's3cret with spaces & $dollar';
  const out = renderUserCompose(user, {
    stackName: 'shop',
    domain: 'Shop.Example.test',
    route: { service: 'web', port: 3000, probePath: '/health' },
    env: { DB_PASSWORD: secret },
  });
  const doc = parse(out.compose) as { services: Record<string, Service>; networks: Record<string, unknown> };

  it('routes the chosen service through Traefik on the shared network', () => {
    const web = doc.services.web!;
    expect(web.networks).toEqual(['default', PUBLIC_NETWORK]);
    expect(doc.networks[PUBLIC_NETWORK]).toEqual({ external: true });
    expect(web.deploy.labels).toMatchObject({
      'com.example.team': 'web',
      'deckhand.stack': 'shop',
      'traefik.http.routers.shop.rule': 'Host(`shop.example.test`)',
      'traefik.http.routers.shop.tls.certresolver': CERT_RESOLVER,
      'traefik.http.services.shop.loadbalancer.server.port': '3000',
    });
    expect(doc.services.db!.networks).toBeUndefined();
    expect(doc.services.db!.deploy.labels['traefik.enable']).toBeUndefined();
    expect(out.plan.route).toMatchObject({ host: 'shop.example.test', port: 3000, probe: { path: '/health' } });
  });

  it('fills update policies that fail closed, stopping first where there is data', () => {
    expect(doc.services.web!.deploy.update_config).toMatchObject({ order: 'start-first', failure_action: 'rollback' });
    expect(doc.services.db!.deploy.update_config).toMatchObject({ order: 'stop-first', failure_action: 'rollback' });
    expect(out.plan.volumes).toEqual(['shop_dbdata']);
  });

  it('stops first where two tasks cannot run at once: host-mode ports, global services, one replica per node', () => {
    const orderOf = (service: string) => {
      const r = renderUserCompose(
        validateUserCompose(`services:\n  web:\n    image: ghcr.io/acme/web:1.0.0\n${service}`),
        {
          stackName: 'one',
        },
      );
      const web = (parse(r.compose) as { services: Record<string, Service> }).services.web!;
      expect(r.plan.services[0]?.updateOrder).toBe(web.deploy.update_config.order);
      return { order: web.deploy.update_config.order, warnings: r.plan.warnings };
    };
    const hostPort = '    ports:\n      - {target: 80, published: 8080, mode: host}\n';
    expect(orderOf(hostPort).order).toBe('stop-first');
    expect(orderOf('    ports:\n      - "8080:80"\n').order).toBe('start-first'); // ingress: a VIP in front of both
    expect(orderOf('    ports:\n      - {target: 80, mode: host}\n').order).toBe('start-first'); // a port Swarm picks
    expect(orderOf('    deploy:\n      mode: global\n').order).toBe('stop-first');
    const perNode = '    deploy:\n      placement:\n        max_replicas_per_node: 1\n';
    expect(orderOf(perNode).order).toBe('stop-first');
    expect(orderOf(perNode.replace('deploy:\n', 'deploy:\n      replicas: 1\n')).order).toBe('stop-first');
    expect(orderOf('    deploy:\n      placement:\n        max_replicas_per_node: 3\n').order).toBe('start-first');
    expect(orderOf('').order).toBe('start-first');
    // The user's own order is kept; where it cannot work, the release says why.
    const own = (order: string) => `    deploy:\n      update_config:\n        order: ${order}\n`;
    expect(orderOf(own('stop-first'))).toEqual({ order: 'stop-first', warnings: [] });
    expect(orderOf(own('start-first'))).toEqual({ order: 'start-first', warnings: [] });
    const forced = orderOf(`${hostPort}${own('start-first')}`);
    expect(forced.order).toBe('start-first');
    expect(forced.warnings).toEqual([
      'service web: update_config.order start-first cannot work: it publishes host-mode port 8080, which only one task ' +
        'can hold, so the new task would wait for a node forever and the deploy fails and rolls back; remove the order ' +
        '(deckhand then uses stop-first)',
    ]);
  });

  it('keeps values in .env only and lists their keys, not their values', () => {
    expect(out.compose).not.toContain(secret);
    expect(out.compose).toContain('${DB_PASSWORD}');
    expect(out.envFile).toContain(`DB_PASSWORD=${secret}\n`);
    expect(JSON.stringify(out.plan)).not.toContain(secret);
    expect(out.plan).toMatchObject({ envKeys: ['DB_PASSWORD'], interpolatesEnv: true });
  });

  it('refuses references env does not set, and a domain without a route', () => {
    expect(() => renderUserCompose(user, { stackName: 'shop' })).toThrow(
      /the file uses \$\{DB_PASSWORD\} but env does not set it/,
    );
    expect(() =>
      renderUserCompose(user, { stackName: 'shop', domain: 'shop.example.test', env: { DB_PASSWORD: 'x' } }),
    ).toThrow(RenderError);
    expect(() =>
      renderUserCompose(user, {
        stackName: 'shop',
        domain: 'shop.example.test',
        route: { service: 'api', port: 80 },
        env: { DB_PASSWORD: 'x' },
      }),
    ).toThrow(/route\.service 'api' is not in the file/);
  });

  it('warns about env the file never reads', () => {
    const again = renderUserCompose(user, { stackName: 'shop', env: { DB_PASSWORD: 'x', UNUSED: '1' } });
    expect(again.plan.warnings).toContain('env UNUSED is not referenced by the compose file as ${UNUSED}');
    expect(again.plan.route).toBeNull();
  });

  describe('with the Docker CLI', () => {
    beforeAll(() => requireAll('docker stack config', DOCKER_CLI));
    const dir = mkdtempSync(join(tmpdir(), 'deckhand-user-compose-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('substitutes .env values literally once the env file is exported', () => {
      writeFileSync(join(dir, 'compose.yml'), out.compose);
      writeFileSync(join(dir, '.env'), out.envFile, { mode: 0o600 });
      const script = `${exportEnvFileScript(join(dir, '.env'))}; docker stack config -c "$1"`;
      const config = parse(
        execFileSync('sh', ['-c', script, 'sh', join(dir, 'compose.yml')], {
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
        }),
      ) as { services: Record<string, { environment: Record<string, string> }> };
      expect(config.services.db!.environment.POSTGRES_PASSWORD).toBe(secret);
      expect(config.services.web!.environment.LOG_LEVEL).toBe('info');
    });
  });
});
