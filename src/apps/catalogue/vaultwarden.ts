import type { AppDefinitionInput } from './schema.js';

export const vaultwarden = {
  name: 'vaultwarden',
  description:
    'Bitwarden-compatible password manager server (Vaultwarden). Browsers require HTTPS, so it needs a domain.',
  version: '1.37.2',
  env: {
    SIGNUPS_ALLOWED: {
      description: 'Whether anyone may create an account; set it to false once yours exists.',
      default: 'true',
      allowed: ['true', 'false'],
    },
  },
  route: { service: 'vaultwarden', port: 80, probePath: '/alive', requiresDomain: true },
  services: {
    vaultwarden: {
      image: 'vaultwarden/server:1.37.2',
      environment: { DOMAIN: '{{url}}' },
      // SQLite on the data volume: one process at a time.
      singleWriter: true,
      healthcheck: {
        test: ['CMD', '/healthcheck.sh'],
        intervalSeconds: 30,
        timeoutSeconds: 10,
        retries: 5,
        startPeriodSeconds: 30,
      },
      volumes: [{ name: 'data', target: '/data' }],
    },
  },
} satisfies AppDefinitionInput;
