import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CERT_RESOLVER, PUBLIC_NETWORK } from '../../src/apps/render/constants.js';
import { RenderError } from '../../src/apps/errors.js';
import { releaseHash } from '../../src/apps/render/render.js';
import { renderTraefikStack, TRAEFIK_IMAGE } from '../../src/apps/render/traefik-stack.js';

interface TraefikDoc {
  services: {
    traefik: {
      image: string;
      command: string[];
      ports: { target: number; published: number; mode: string }[];
      healthcheck: { test: string[] };
      networks: string[];
      deploy: { placement: { constraints: string[] }; update_config: { order: string } };
    };
  };
  networks: Record<string, { external: boolean }>;
}

describe('renderTraefikStack', () => {
  const out = renderTraefikStack({ acmeEmail: 'ops@example.test' });
  const traefik = (parse(out.compose) as TraefikDoc).services.traefik;

  it('runs the pinned image with both entrypoints, the swarm provider and the one resolver', () => {
    expect(traefik.image).toBe(TRAEFIK_IMAGE);
    expect(TRAEFIK_IMAGE).toMatch(/^traefik:v3\.\d+\.\d+$/);
    expect(traefik.command).toEqual(
      expect.arrayContaining([
        '--entrypoints.web.address=:80',
        '--entrypoints.websecure.address=:443',
        '--entrypoints.web.http.redirections.entrypoint.to=websecure',
        '--providers.swarm.exposedbydefault=false',
        `--providers.swarm.network=${PUBLIC_NETWORK}`,
        `--certificatesresolvers.${CERT_RESOLVER}.acme.email=ops@example.test`,
        `--certificatesresolvers.${CERT_RESOLVER}.acme.httpchallenge.entrypoint=web`,
      ]),
    );
    expect(traefik.command.some((c) => c.includes('caserver'))).toBe(false);
  });

  it('publishes only 80 and 443, joins the shared network and runs on a manager', () => {
    expect(traefik.ports.map((p) => [p.target, p.published])).toEqual([
      [80, 80],
      [443, 443],
    ]);
    expect(traefik.networks).toEqual([PUBLIC_NETWORK]);
    expect((parse(out.compose) as TraefikDoc).networks).toEqual({ [PUBLIC_NETWORK]: { external: true } });
    expect(traefik.deploy.placement.constraints).toEqual(['node.role == manager']);
    // host-mode ports cannot be held by two tasks at once
    expect(traefik.deploy.update_config.order).toBe('stop-first');
    expect(traefik.healthcheck.test).toEqual(['CMD', 'traefik', 'healthcheck', '--ping']);
    expect(out.envFile).toBe('');
    expect(out.plan).toMatchObject({ stackName: 'traefik', certResolver: CERT_RESOLVER, publishedPorts: [80, 443] });
  });

  it('is deterministic and changes with its parameters', () => {
    expect(releaseHash(renderTraefikStack({ acmeEmail: 'ops@example.test' }))).toBe(releaseHash(out));
    const staging = renderTraefikStack({
      acmeEmail: 'ops@example.test',
      acmeCaServer: 'https://acme-staging-v02.api.letsencrypt.org/directory',
    });
    expect(staging.compose).toContain('acme.caserver=https://acme-staging-v02.api.letsencrypt.org/directory');
    expect(releaseHash(staging)).not.toBe(releaseHash(out));
  });

  it('takes a pinned test image and refuses bad parameters', () => {
    expect(renderTraefikStack({ acmeEmail: 'ops@example.test', imageOverride: 'local/traefik:1' }).plan.image).toBe(
      'local/traefik:1',
    );
    expect(() => renderTraefikStack({ acmeEmail: 'ops@example.test', imageOverride: 'traefik:latest' })).toThrow(
      /imageOverride: image 'traefik:latest' uses :latest/,
    );
    expect(() => renderTraefikStack({ acmeEmail: 'not an email' })).toThrow(RenderError);
    expect(() => renderTraefikStack({ acmeEmail: 'ops@example.test', acmeCaServer: 'http://x' })).toThrow(
      /acmeCaServer must be an https URL/,
    );
  });
});
