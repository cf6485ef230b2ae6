import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMPOSE_FILE_NAME, ENV_FILE_NAME } from '../../src/apps/render/constants.js';
import { renderTraefikStack } from '../../src/apps/render/traefik-stack.js';
import { DOCKER_CLI, requireAll } from '../helpers/requirements.js';
import { catalogue, renderStandard } from './helpers.js';

/**
 * Feeds every rendered release to the Docker CLI's own compose loader (`docker stack config` needs no
 * daemon), run from another directory so the relative env_file must resolve next to the compose file.
 * Without the docker CLI the tests fail, saying what to install.
 */
const root = mkdtempSync(join(tmpdir(), 'deckhand-stack-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function stackConfig(name: string, compose: string, envFile: string): Record<string, unknown> {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, COMPOSE_FILE_NAME), compose);
  writeFileSync(join(dir, ENV_FILE_NAME), envFile, { mode: 0o600 });
  const out = execFileSync('docker', ['stack', 'config', '-c', join(dir, COMPOSE_FILE_NAME)], {
    cwd: '/',
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: root },
  });
  return parse(out) as Record<string, unknown>;
}

describe('docker stack config accepts every release', () => {
  beforeAll(() => requireAll('docker stack config', DOCKER_CLI));
  for (const name of catalogue.names()) {
    it(`${name}: loads, takes its env from .env and unescapes $$`, () => {
      const rendered = renderStandard(catalogue.get(name));
      const config = stackConfig(name, rendered.compose, rendered.envFile) as {
        services: Record<string, { environment?: Record<string, string>; healthcheck?: { test: string[] } }>;
      };
      const envKeys = rendered.envFile
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.slice(0, l.indexOf('=')));
      for (const service of Object.values(config.services)) {
        for (const key of envKeys) expect(Object.keys(service.environment ?? {})).toContain(key);
        expect(JSON.stringify(service.healthcheck ?? {})).not.toContain('$$');
      }
    });
  }

  it('traefik: loads', () => {
    const rendered = renderTraefikStack({ acmeEmail: 'ops@example.test' });
    expect(
      Object.keys((stackConfig('traefik', rendered.compose, rendered.envFile) as { services: object }).services),
    ).toEqual(['traefik']);
  });
});
