import type { AppDefinitionInput } from './schema.js';

export const uptimeKuma = {
  name: 'uptime-kuma',
  description: 'Uptime monitoring with status pages and notifications (Uptime Kuma).',
  version: '2.5.3',
  env: {
    TZ: { description: 'Time zone of the dashboard and reports.', default: 'UTC' },
  },
  route: { service: 'uptime-kuma', port: 3001, probePath: '/' },
  services: {
    'uptime-kuma': {
      image: 'louislam/uptime-kuma:2.5.3',
      // Its SQLite database and monitor loop belong to one process: two would double every notification.
      singleWriter: true,
      healthcheck: {
        test: ['CMD', 'extra/healthcheck'],
        intervalSeconds: 30,
        timeoutSeconds: 10,
        retries: 5,
        startPeriodSeconds: 120,
      },
      volumes: [{ name: 'data', target: '/app/data' }],
    },
  },
} satisfies AppDefinitionInput;
