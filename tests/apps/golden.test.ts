import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderTraefikStack } from '../../src/apps/render/traefik-stack.js';
import { catalogue, renderStandard } from './helpers.js';

/**
 * Rendered output of every catalogue app and of the Traefik stack, compared byte for byte with the
 * committed files. After an intended change, regenerate them with UPDATE_GOLDEN=1 and review the diff.
 */
const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden', 'apps');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function checkGolden(file: string, actual: string): void {
  const path = join(GOLDEN_DIR, file);
  if (UPDATE) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  let expected: string;
  try {
    expected = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`golden file ${path} is missing: run UPDATE_GOLDEN=1 npx vitest run tests/apps`);
  }
  expect(actual, `${file} differs from its golden file (UPDATE_GOLDEN=1 regenerates it)`).toBe(expected);
}

describe('golden renders', () => {
  for (const name of catalogue.names()) {
    it(`${name}: compose and env match the golden files`, () => {
      const rendered = renderStandard(catalogue.get(name));
      checkGolden(`${name}.yml`, rendered.compose);
      checkGolden(`${name}.env`, rendered.envFile);
    });
  }

  it('traefik stack matches its golden file', () => {
    checkGolden('traefik.yml', renderTraefikStack({ acmeEmail: 'ops@example.test' }).compose);
  });
});
