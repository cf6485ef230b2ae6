import type { AppDefinitionInput } from './schema.js';

export const redis = {
  name: 'redis',
  description:
    'Redis 7.4 with append-only persistence and a generated password. Other apps reach it over the deckhand network; it is never published on the host.',
  version: '7.4.6',
  env: {
    REDIS_PASSWORD: {
      description: 'Password clients authenticate with.',
      secret: { length: 32, charset: 'alphanumeric' },
    },
  },
  connect: { service: 'redis', port: 6379 },
  services: {
    redis: {
      image: 'redis:7.4.6-alpine',
      // Through the image's entrypoint so it still drops root; the password comes from the container env, not the compose text.
      command: ['sh', '-c', 'exec docker-entrypoint.sh redis-server --appendonly yes --requirepass "$REDIS_PASSWORD"'],
      database: true,
      singleWriter: true,
      healthcheck: {
        test: ['CMD-SHELL', 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli ping | grep -q PONG'],
        intervalSeconds: 10,
        timeoutSeconds: 5,
        retries: 5,
        startPeriodSeconds: 10,
      },
      volumes: [{ name: 'data', target: '/data' }],
    },
  },
} satisfies AppDefinitionInput;
