// Catalogue images swapped for local busybox-based ones of the same shape (DECKHAND_IMAGE_OVERRIDES), for the deploy
// tests and the deploy benchmark. No vitest here: bench/deploy.ts runs under plain node.
import { LOCAL_IMAGES } from './images.js';

/** Short checks so services converge in seconds; `guard` is prepended (e.g. a condition that breaks a release). */
export function quickCheck(cmd: string, guard = ''): Record<string, unknown> {
  return {
    test: ['CMD-SHELL', `${guard}${cmd}`],
    intervalSeconds: 2,
    timeoutSeconds: 2,
    retries: 3,
    startPeriodSeconds: 2,
  };
}

/** postgres played by busybox: psql and createdb only record their arguments in /tmp/hook.log (setup hooks run them). */
const PG_STANDIN = [
  `for t in psql createdb; do printf '#!/bin/sh\\necho "%s $*" >> /tmp/hook.log\\n' "$t" > /usr/local/bin/$t; chmod 755 /usr/local/bin/$t; done`,
  'echo "starting with password=$POSTGRES_PASSWORD"',
  'exec httpd -f -p 5432 -h /',
].join('; ');

/**
 * DECKHAND_IMAGE_OVERRIDES for the tests. The whoami stand-in plays every web app (it serves 200 on any port given
 * with --port); a release of uptime-kuma with TZ=Broken/Zone fails its health check, which is how tests make a broken
 * release. postgres is played by busybox: it prints its password at start (to prove logs are redacted) and fails its
 * check when POSTGRES_DB is "broken". n8n is the whoami stand-in on its port.
 */
export const IMAGE_OVERRIDES = {
  'traefik/whoami:v1.11.0': {
    image: LOCAL_IMAGES.whoami,
    healthcheck: quickCheck('wget -qO- http://127.0.0.1:80/health >/dev/null || exit 1'),
  },
  'louislam/uptime-kuma:2.5.3': {
    image: LOCAL_IMAGES.whoami,
    command: ['--port=3001'],
    healthcheck: quickCheck('wget -qO- http://127.0.0.1:3001/ >/dev/null || exit 1', '[ "$TZ" != Broken/Zone ] && '),
  },
  'postgres:17.9-alpine': {
    image: LOCAL_IMAGES.busybox,
    command: ['sh', '-c', PG_STANDIN],
    healthcheck: quickCheck('true', '[ "$POSTGRES_DB" != broken ] && '),
  },
  'n8nio/n8n:2.32.7': {
    image: LOCAL_IMAGES.whoami,
    command: ['--port=5678'],
    healthcheck: quickCheck('wget -qO- http://127.0.0.1:5678/ >/dev/null || exit 1'),
  },
  'busybox:1.37.0': LOCAL_IMAGES.busybox,
};

export function deployEnv(home: string): Record<string, string> {
  return {
    DECKHAND_HOME: home,
    DECKHAND_RESOLVE_IMAGE: 'never',
    DECKHAND_IMAGE_OVERRIDES: JSON.stringify(IMAGE_OVERRIDES),
  };
}
