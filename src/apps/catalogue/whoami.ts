import type { AppDefinitionInput } from './schema.js';

export const whoami = {
  name: 'whoami',
  description: 'Tiny HTTP echo server (traefik/whoami) for trying out a server, its domain and TLS.',
  version: '1.11.0',
  env: {
    WHOAMI_NAME: { description: 'Name the server reports in its answers.', default: 'deckhand' },
  },
  route: { service: 'whoami', port: 80, probePath: '/health' },
  services: {
    whoami: {
      image: 'traefik/whoami:v1.11.0',
      healthcheckUnavailable: 'the image is FROM scratch: it has no shell or HTTP client to run a check with',
    },
  },
} satisfies AppDefinitionInput;
