import { describe, expect, it } from 'vitest';
import { ComposeValidationError } from '../../src/apps/errors.js';
import { BUILD_REFUSED, validateUserCompose } from '../../src/apps/render/user-compose.js';

function refusal(text: string): ComposeValidationError {
  try {
    validateUserCompose(text);
  } catch (err) {
    if (err instanceof ComposeValidationError) return err;
    throw err;
  }
  throw new Error('the compose file was accepted');
}

describe('validateUserCompose', () => {
  it('accepts a pinned compose file and normalizes its version', () => {
    const out = validateUserCompose(`
services:
  web:
    image: ghcr.io/acme/web:2.4.1
  worker:
    image: registry.example.com:5000/acme/worker@sha256:${'a'.repeat(64)}
`);
    expect(out.compose.version).toBe('3.8');
    expect(out.services.map((s) => [s.name, s.image])).toEqual([
      ['web', 'ghcr.io/acme/web:2.4.1'],
      ['worker', `registry.example.com:5000/acme/worker@sha256:${'a'.repeat(64)}`],
    ]);
    expect(out.warnings).toEqual([]);
  });

  it('refuses build: with the way forward', () => {
    const err = refusal('services:\n  app:\n    build: .\n');
    expect(err.issues).toEqual([`service app uses build: ${BUILD_REFUSED}`]);
    expect(err.message).toContain('push the image to a registry and reference it with image: name:tag');
  });

  it('refuses :latest, untagged and variable images', () => {
    const err = refusal(`
services:
  a:
    image: nginx:latest
  b:
    image: nginx
  c:
    image: nginx:\${TAG}
`);
    expect(err.issues).toEqual([
      expect.stringMatching(/^service a: image 'nginx:latest' uses :latest, which changes under you/),
      expect.stringMatching(/^service b: image 'nginx' has no tag, which means :latest/),
      expect.stringMatching(/^service c: image 'nginx:\$\{TAG\}' uses a variable/),
    ]);
  });

  it('requires services and refuses compose v2 files', () => {
    expect(refusal('version: "3.8"\n').issues).toEqual([expect.stringMatching(/^services: is missing or empty/)]);
    expect(refusal('version: "2.4"\nservices:\n  a:\n    image: x:1\n').issues).toEqual([
      expect.stringMatching(/^version "2.4" is not supported by docker stack deploy/),
    ]);
    expect(refusal('- just\n- a list\n').issues).toEqual([expect.stringMatching(/must be a YAML mapping/)]);
  });

  it('reports YAML syntax errors', () => {
    expect(refusal('services:\n  a: [\n').issues[0]).toMatch(/^not valid YAML: /);
  });

  it('warns about published database ports in both port syntaxes', () => {
    const out = validateUserCompose(`
services:
  db:
    image: postgres:17.9-alpine
    ports:
      - "5432:5432"
  cache:
    image: example/cache:1.0
    ports:
      - target: 6379
        published: 16379
  web:
    image: example/web:1.0
    ports:
      - "127.0.0.1:8080:80/tcp"
`);
    expect(out.warnings).toEqual([
      expect.stringMatching(
        /^service db publishes PostgreSQL port 5432 on host port 5432: Docker-published ports bypass ufw/,
      ),
      expect.stringMatching(/^service cache publishes Redis port 6379 on host port 16379/),
    ]);
    expect(out.services.find((s) => s.name === 'web')?.publishedPorts).toEqual([{ target: 80, published: 8080 }]);
  });

  it('warns about a database image publishing an unusual port', () => {
    const out = validateUserCompose('services:\n  db:\n    image: mariadb:11.4\n    ports: ["13306:3307"]\n');
    expect(out.warnings).toEqual([
      expect.stringMatching(/^service db publishes a database port 3307 on host port 13306/),
    ]);
  });

  it('warns about settings Swarm ignores and files deckhand does not upload', () => {
    const out = validateUserCompose(`
services:
  web:
    image: example/web:1.0
    container_name: web
    restart: always
    depends_on: [db]
    env_file: [secrets.env]
    volumes:
      - ./data:/data
      - named:/cache
  db:
    image: example/db:1.0
`);
    expect(out.warnings).toEqual([
      expect.stringMatching(/^service web: container_name is ignored/),
      expect.stringMatching(/^service web: depends_on is ignored/),
      expect.stringMatching(/^service web: restart is ignored .*deploy\.restart_policy/),
      expect.stringMatching(/^service web: bind mount \.\/data must already exist on the server/),
      expect.stringMatching(/^service web: env_file other than \.env is not uploaded/),
    ]);
  });

  it('lists every problem at once', () => {
    const err = refusal('services:\n  a:\n    build: .\n  b:\n    image: redis\n  c: {}\n');
    expect(err.issues).toHaveLength(3);
    expect(err.issues[2]).toBe(`service c has no image: ${BUILD_REFUSED}`);
  });
});
