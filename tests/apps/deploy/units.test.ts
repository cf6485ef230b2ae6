import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCatalogue } from '../../../src/apps/render/index.js';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { parseDeployed } from '../../../src/apps/deploy/list.js';
import { checkPreflight } from '../../../src/apps/deploy/preflight.js';
import { assertStackName, preview, stackOf } from '../../../src/apps/deploy/preview.js';
import { maskEnvFile, Redactor } from '../../../src/apps/deploy/redact.js';
import { catalogueRelease, composeRelease, serviceOverrides } from '../../../src/apps/deploy/release.js';
import { StackStateStore } from '../../../src/apps/deploy/state.js';
import { FileSecretStore } from '../../../src/jobs/store/sqlite/secrets.js';

const catalogue = loadCatalogue();
let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-deploy-units-'));
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

describe('preflight', () => {
  const good = {
    docker: 'yes',
    swarm: 'active true',
    network: 'overlay true swarm',
    free_kb: '9000000',
    apps_free_kb: '9000000',
  };
  it('passes a set-up server and refuses the others, each time saying what to do', () => {
    expect(checkPreflight('web', good)).toMatchObject({ freeMb: 8789 });
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ ...good, docker: 'no' }, 'docker_missing', /Run setup-server \{"server": "web"\} first/],
      [{ ...good, swarm: 'inactive false' }, 'swarm_inactive', /state: inactive/],
      [{ ...good, swarm: 'active false' }, 'not_a_manager', /worker/],
      [{ ...good, network: '' }, 'network_missing', /deckhand-public network does not exist/],
      [{ ...good, network: 'bridge false local' }, 'network_mismatch', /docker network rm deckhand-public/],
      [{ ...good, free_kb: '102400' }, 'disk_full', /Only 100 MB are free for Docker/],
      [{ ...good, apps_free_kb: '0' }, 'disk_full', /for \/opt\/deckhand/],
    ];
    for (const [facts, code, text] of cases) {
      let err: { code?: string; userMessage?: string } = {};
      try {
        checkPreflight('web', facts);
      } catch (e) {
        err = e as typeof err;
      }
      expect(err.code).toBe(code);
      expect(err.userMessage).toMatch(text);
    }
  });
});

describe('Redactor', () => {
  it('masks every secret anywhere in text and JSON values, longest first, leaving very short values alone', () => {
    const r = new Redactor(['s3cr3t-value', 's3cr3t', 'ab']);
    expect(r.text('x=s3cr3t-value y=s3cr3t z=ab')).toBe('x=******** y=******** z=ab');
    expect(r.value({ a: ['pw s3cr3t'], b: { c: 's3cr3t-value' }, n: 1 })).toEqual({
      a: ['pw ********'],
      b: { c: '********' },
      n: 1,
    });
    expect(maskEnvFile('# c\nA=1\nB=2\n', new Set(['A']))).toBe('# c\nA=1\nB=********\n');
  });
});

describe('StackStateStore', () => {
  it('keeps secrets and deployed inputs in 0600 files under 0700 directories, atomically', async () => {
    const s = new StackStateStore(home);
    expect(await s.read('web', 'pg')).toBeUndefined();
    await s.saveSecrets('web', 'pg', 'postgres', { POSTGRES_PASSWORD: 'x'.repeat(32) });
    await s.markDeployed('web', 'pg', 'postgres', {
      env: { POSTGRES_DB: 'a' },
      domain: null,
      hash: 'h',
      deployed_at: 't',
    });
    const file = s.file('web', 'pg');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(home, 'secrets')).mode & 0o777).toBe(0o700);
    expect(await s.read('web', 'pg')).toMatchObject({
      app: 'postgres',
      secrets: { POSTGRES_PASSWORD: 'x'.repeat(32) },
      deployed: { env: { POSTGRES_DB: 'a' } },
    });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['pg.json']);
    fs.writeFileSync(file, '{"version":1');
    await expect(s.read('web', 'pg')).rejects.toThrow(
      expect.objectContaining({ code: 'state_corrupt', hint: expect.stringMatching(/Restore it from a backup/) }),
    );
    expect(() => s.file('../etc', 'x')).toThrow(/unsafe/);
  });

  it('in PostgreSQL mode keeps the state in the shared secret store, nothing on disk', async () => {
    // A real SecretStore (the file one, elsewhere): the table one passes the same contract suite.
    const sharedDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-shared-'));
    const shared = new FileSecretStore(sharedDir);
    const s = new StackStateStore(home, shared);
    await s.saveSecrets('web', 'pg', 'postgres', { POSTGRES_PASSWORD: 'p' });
    expect(await shared.keys('')).toEqual(['deploy/web/pg']);
    expect(await new StackStateStore('/nonexistent', shared).read('web', 'pg')).toMatchObject({
      secrets: { POSTGRES_PASSWORD: 'p' },
    });
    expect(fs.existsSync(path.join(home, 'secrets'))).toBe(false);
    await s.remove('web', 'pg');
    expect(await shared.keys('')).toEqual([]);
    fs.rmSync(sharedDir, { recursive: true, force: true });
    await expect(s.read('../x', 'pg')).rejects.toThrow(/unsafe/);
  });
});

describe('DECKHAND_IMAGE_OVERRIDES and the other deploy settings', () => {
  it('parses image substitutes with their health checks', () => {
    const overrides = {
      'traefik/whoami:v1.11.0': {
        image: 'local/whoami:1',
        healthcheck: {
          test: ['CMD', 'true'],
          intervalSeconds: 2,
          timeoutSeconds: 2,
          retries: 3,
          startPeriodSeconds: 0,
        },
      },
      'busybox:1.37.0': 'local/busybox:1',
    };
    const c = loadConfig(
      { DECKHAND_IMAGE_OVERRIDES: JSON.stringify(overrides), DECKHAND_RESOLVE_IMAGE: 'never' },
      '/h',
    );
    expect(c.deploy).toEqual({ resolveImage: 'never', imageOverrides: overrides, waitS: 900 });
    expect(loadConfig({}, '/h').deploy).toEqual({ resolveImage: 'changed', imageOverrides: {}, waitS: 900 });
  });

  it('names the variable and what is wrong', () => {
    const err = (env: Record<string, string>) => {
      try {
        loadConfig(env, '/h');
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(err({ DECKHAND_IMAGE_OVERRIDES: '{nope' })).toMatch(/DECKHAND_IMAGE_OVERRIDES="\{nope": not valid JSON/);
    expect(err({ DECKHAND_IMAGE_OVERRIDES: '{"a:1": {"img": "b"}}' })).toMatch(/DECKHAND_IMAGE_OVERRIDES=.*a:1/);
    expect(err({ DECKHAND_RESOLVE_IMAGE: 'sometimes' })).toMatch(/DECKHAND_RESOLVE_IMAGE="sometimes"/);
  });
});

describe('releases', () => {
  const hc = { test: ['CMD', 'true'], intervalSeconds: 2, timeoutSeconds: 2, retries: 3, startPeriodSeconds: 0 };
  it('applies image overrides by image reference to every service running that image', () => {
    const app = catalogue.get('n8n');
    expect(serviceOverrides(app, { 'n8nio/n8n:2.32.7': 'local/x:1', 'other:1': 'y:1' })).toEqual({ n8n: 'local/x:1' });
  });

  it('probes whoami over the network when it has no health check, and through Traefik with a domain', () => {
    const base = { stack: 'whoami', env: {}, secrets: {}, dependencies: {}, imageOverrides: {} };
    const plain = catalogueRelease(catalogue.get('whoami'), { ...base, domain: null }).spec;
    expect(plain.directProbe).toEqual({ fullName: 'whoami_whoami', port: 80, path: '/health' });
    expect(plain.routeProbe).toBeNull();
    const routed = catalogueRelease(catalogue.get('whoami'), { ...base, domain: 'who.example.com' }).spec;
    expect(routed).toMatchObject({
      url: 'https://who.example.com',
      routeProbe: { host: 'who.example.com', path: '/health' },
    });
    expect(routed.hash).not.toBe(plain.hash);
    const checked = catalogueRelease(catalogue.get('whoami'), {
      ...base,
      domain: null,
      imageOverrides: { 'traefik/whoami:v1.11.0': { image: 'local/whoami:1', healthcheck: hc } },
    }).spec;
    expect(checked.directProbe).toBeNull();
  });

  it('renders user compose files with their ${VAR}s from env, and refuses build:', () => {
    const compose = 'services:\n  web:\n    image: nginx:1.27\n    environment:\n      X: ${X}\n';
    const r = composeRelease(compose, { stack: 'mine', domain: null, env: { X: 'v' } }).spec;
    expect(r).toMatchObject({ app: null, interpolatesEnv: true, services: [{ fullName: 'mine_web' }] });
    expect(r.envFile).toContain('X=v');
    expect(() => composeRelease('services:\n  web:\n    build: .\n', { stack: 'm', domain: null, env: {} })).toThrow(
      /build:/,
    );
  });
});

describe('preview', () => {
  it('checks the request: app or compose, a valid name', () => {
    expect(() => stackOf({ server: 'w' })).toThrow(/either app .* or compose/);
    expect(() => stackOf({ server: 'w', app: 'a', compose: 'c' })).toThrow(/either app/);
    expect(() => stackOf({ server: 'w', compose: 'c' })).toThrow(/needs a name/);
    expect(() => stackOf({ server: 'w', app: 'whoami', name: 'Bad Name' })).toThrow(/lower-case/);
    expect(stackOf({ server: 'w', app: 'whoami' })).toBe('whoami');
    for (const bad of ['../../etc', 'a/b', '-x', 'x y', '', 'A'.repeat(3), 'a'.repeat(51)])
      expect(() => assertStackName(bad), bad).toThrow(/is not a stack name/);
  });

  it('renders a dependent app with its dependencies, generating nothing it stores', async () => {
    const states = new StackStateStore(home);
    const p = await preview(
      { server: 'w', app: 'n8n', domain: 'n8n.example.com' },
      { catalogue, states, imageOverrides: {} },
    );
    expect(p.dependencies).toEqual([{ app: 'postgres', stack: 'postgres', known: false }]);
    expect(p.newSecrets).toEqual(['postgres.POSTGRES_PASSWORD', 'n8n.N8N_ENCRYPTION_KEY']);
    expect(p.rendered.spec.hooks.map((h) => h.serviceFullName)).toEqual(['postgres_postgres']);
    expect(p.rendered.maskedEnvFile).toMatch(/^N8N_ENCRYPTION_KEY=\*{8}$/m);
    expect(p.rendered.maskedEnvFile).toMatch(/^DB_POSTGRESDB_PASSWORD=\*{8}$/m);
    expect(fs.existsSync(path.join(home, 'secrets'))).toBe(false);
  });

  it('refuses to deploy one app over a stack that runs another', async () => {
    const states = new StackStateStore(home);
    await states.saveSecrets('w', 'web', 'whoami', {});
    await expect(
      preview({ server: 'w', app: 'uptime-kuma', name: 'web' }, { catalogue, states, imageOverrides: {} }),
    ).rejects.toThrow(/"web" on "w" runs whoami, not uptime-kuma/);
  });
});

describe('parseDeployed', () => {
  it('joins release records with the replicas docker service ls shows', () => {
    const rec = (stack: string, services: string[]) =>
      `@@release ${JSON.stringify({ stack, services, dependencies: [] })}`;
    const out = [
      rec('web', ['web_a', 'web_b']),
      rec('db', ['db_db']),
      rec('gone', ['gone_x']),
      '@@release {broken',
      '@@services',
      'web_a 1/1',
      'web_b 0/1 (max 1 per node)',
      'db_db 1/1',
    ].join('\n');
    expect(parseDeployed(out).map((d) => [d.record.stack, d.status])).toEqual([
      ['db', 'running'],
      ['gone', 'missing'],
      ['web', 'degraded'],
    ]);
  });
});
