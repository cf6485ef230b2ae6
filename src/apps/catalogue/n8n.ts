import type { AppDefinitionInput } from './schema.js';

const CREATE_DATABASE =
  `psql -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tAc "SELECT 1 FROM pg_database WHERE datname = 'n8n'" | grep -q 1` +
  ` || createdb -U "$POSTGRES_USER" n8n`;

export const n8n = {
  name: 'n8n',
  description:
    'Workflow automation with a visual editor. Keeps its data in the postgres app; needs a domain for webhooks.',
  version: '2.32.7',
  dependencies: [
    {
      app: 'postgres',
      setup: {
        service: 'postgres',
        description: 'create the n8n database if it does not exist',
        command: ['sh', '-c', CREATE_DATABASE],
      },
    },
  ],
  env: {
    GENERIC_TIMEZONE: {
      description: 'Time zone of schedules, an IANA name such as Europe/Berlin.',
      default: 'UTC',
      pattern: '^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$',
    },
    N8N_ENCRYPTION_KEY: {
      description: 'Key that encrypts stored credentials; without it they cannot be read.',
      secret: { length: 48, charset: 'alphanumeric' },
    },
    DB_POSTGRESDB_USER: {
      description: 'Database user, taken from the postgres app.',
      fromDependency: { app: 'postgres', key: 'POSTGRES_USER' },
    },
    DB_POSTGRESDB_PASSWORD: {
      description: 'Database password, taken from the postgres app.',
      fromDependency: { app: 'postgres', key: 'POSTGRES_PASSWORD' },
    },
  },
  route: { service: 'n8n', port: 5678, probePath: '/healthz', requiresDomain: true },
  services: {
    n8n: {
      image: 'n8nio/n8n:2.32.7',
      environment: {
        DB_TYPE: 'postgresdb',
        DB_POSTGRESDB_HOST: '{{host:postgres}}',
        DB_POSTGRESDB_PORT: '{{port:postgres}}',
        DB_POSTGRESDB_DATABASE: 'n8n',
        N8N_HOST: '{{domain}}',
        N8N_PORT: '5678',
        N8N_PROTOCOL: 'https',
        N8N_PROXY_HOPS: '1',
        N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
        WEBHOOK_URL: '{{url}}/',
      },
      // Two n8n main processes on one database would both fire scheduled workflows.
      singleWriter: true,
      healthcheck: {
        // node is the one tool every n8n image is sure to carry.
        test: [
          'CMD',
          'node',
          '-e',
          "fetch('http://127.0.0.1:5678/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))",
        ],
        intervalSeconds: 15,
        timeoutSeconds: 5,
        retries: 5,
        startPeriodSeconds: 60,
      },
      volumes: [{ name: 'data', target: '/home/node/.n8n' }],
    },
  },
} satisfies AppDefinitionInput;
