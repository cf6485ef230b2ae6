import type { AppDefinitionInput } from './schema.js';

const PG_IDENTIFIER = '^[a-z_][a-z0-9_]{0,62}$';

export const postgres = {
  name: 'postgres',
  description:
    'PostgreSQL 17 database. Other apps reach it over the deckhand network; it is never published on the host.',
  version: '17.9',
  env: {
    POSTGRES_USER: {
      description: 'Name of the superuser (fixed once the data volume exists).',
      default: 'postgres',
      pattern: PG_IDENTIFIER,
    },
    POSTGRES_DB: { description: 'Database created on first start.', default: 'postgres', pattern: PG_IDENTIFIER },
    POSTGRES_PASSWORD: {
      description: 'Password of the superuser.',
      secret: { length: 32, charset: 'alphanumeric' },
    },
  },
  connect: { service: 'postgres', port: 5432 },
  services: {
    postgres: {
      image: 'postgres:17.9-alpine',
      database: true,
      singleWriter: true,
      healthcheck: {
        // Over TCP: the entrypoint's temporary init server listens on the socket only, so it is not mistaken for ready.
        test: ['CMD-SHELL', 'pg_isready -q -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"'],
        intervalSeconds: 10,
        timeoutSeconds: 5,
        retries: 6,
        startPeriodSeconds: 30,
      },
      volumes: [{ name: 'data', target: '/var/lib/postgresql/data' }],
    },
  },
} satisfies AppDefinitionInput;
