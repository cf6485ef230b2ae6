import { healthcheckSchema, type HealthcheckDefinition } from '../catalogue/schema.js';
import { toComposeYaml } from './compose-yaml.js';
import {
  CERT_RESOLVER,
  COMPOSE_FILE_NAME,
  COMPOSE_VERSION,
  ENTRYPOINT_WEB,
  ENTRYPOINT_WEBSECURE,
  ENV_FILE_NAME,
  LABEL_APP,
  LABEL_APP_VERSION,
  LABEL_STACK,
  PUBLIC_NETWORK,
  TRAEFIK_STACK_NAME,
} from './constants.js';
import { RenderError } from '../errors.js';
import { pinnedImageProblem } from './images.js';
import { deployBlock, healthTimeoutSeconds, renderHealthcheck } from './service.js';

/**
 * Version 3.6.1 is the first v3 release that negotiates the Docker API version: older ones speak API 1.24,
 * which Docker Engine 29 refuses, and then never see a single service.
 */
export const TRAEFIK_VERSION = '3.6.23';
export const TRAEFIK_IMAGE = `traefik:v${TRAEFIK_VERSION}`;

export interface TraefikStackOptions {
  /** Let's Encrypt account email. */
  readonly acmeEmail: string;
  /** ACME directory, e.g. the Let's Encrypt staging one for trials; the production one when absent. */
  readonly acmeCaServer?: string | undefined;
  /** Tests swap in a local image of the same shape. */
  readonly imageOverride?:
    string | { readonly image: string; readonly healthcheck?: HealthcheckDefinition } | undefined;
}

export interface TraefikStackPlan {
  readonly stackName: string;
  readonly serviceFullName: string;
  readonly image: string;
  readonly network: string;
  readonly certResolver: string;
  readonly publishedPorts: readonly number[];
  readonly volumes: readonly string[];
  readonly composeFile: string;
  readonly healthTimeoutSeconds: number;
}

const EMAIL = /^[^\s@"'`$\\]+@[^\s@"'`$\\]+\.[a-z]{2,}$/i;

const TRAEFIK_HEALTHCHECK: HealthcheckDefinition = {
  test: ['CMD', 'traefik', 'healthcheck', '--ping'],
  intervalSeconds: 10,
  timeoutSeconds: 5,
  retries: 3,
  startPeriodSeconds: 10,
};

/**
 * The Traefik stack setup-server deploys: the only thing on a deckhand server that publishes ports
 * (80 and 443). It discovers services through the Swarm provider on the shared overlay network and
 * issues certificates with the one resolver every app label names. Its env file is empty.
 */
export function renderTraefikStack(options: TraefikStackOptions): {
  compose: string;
  envFile: string;
  plan: TraefikStackPlan;
} {
  const issues: string[] = [];
  if (!EMAIL.test(options.acmeEmail)) issues.push(`'${options.acmeEmail}' is not a usable ACME email address`);
  if (options.acmeCaServer !== undefined && !/^https:\/\/[^\s"'`$\\]+$/.test(options.acmeCaServer)) {
    issues.push(`acmeCaServer must be an https URL`);
  }
  const override = typeof options.imageOverride === 'string' ? { image: options.imageOverride } : options.imageOverride;
  const image = override?.image ?? TRAEFIK_IMAGE;
  const imageProblem = pinnedImageProblem(image);
  if (imageProblem) issues.push(`imageOverride: ${imageProblem}`);
  let healthcheck = TRAEFIK_HEALTHCHECK;
  if (override?.healthcheck) {
    const parsed = healthcheckSchema.safeParse(override.healthcheck);
    if (parsed.success) healthcheck = parsed.data;
    else issues.push(`imageOverride.healthcheck: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  if (issues.length > 0) throw new RenderError(TRAEFIK_STACK_NAME, issues);

  const acme = `--certificatesresolvers.${CERT_RESOLVER}.acme`;
  const command = [
    `--entrypoints.${ENTRYPOINT_WEB}.address=:80`,
    `--entrypoints.${ENTRYPOINT_WEB}.http.redirections.entrypoint.to=${ENTRYPOINT_WEBSECURE}`,
    `--entrypoints.${ENTRYPOINT_WEB}.http.redirections.entrypoint.scheme=https`,
    `--entrypoints.${ENTRYPOINT_WEBSECURE}.address=:443`,
    '--providers.swarm.endpoint=unix:///var/run/docker.sock',
    '--providers.swarm.exposedbydefault=false',
    `--providers.swarm.network=${PUBLIC_NETWORK}`,
    `${acme}.email=${options.acmeEmail}`,
    `${acme}.storage=/letsencrypt/acme.json`,
    `${acme}.httpchallenge.entrypoint=${ENTRYPOINT_WEB}`,
    ...(options.acmeCaServer !== undefined ? [`${acme}.caserver=${options.acmeCaServer}`] : []),
    '--ping=true',
    '--log.level=INFO',
  ];
  const labels = { [LABEL_APP]: 'traefik', [LABEL_APP_VERSION]: TRAEFIK_VERSION, [LABEL_STACK]: TRAEFIK_STACK_NAME };
  const deploy = {
    ...deployBlock(1, 'stop-first', labels),
    placement: { constraints: ['node.role == manager'] },
  };
  const doc = {
    version: COMPOSE_VERSION,
    services: {
      traefik: {
        image,
        command,
        // Host mode keeps the client's address; it also means two tasks cannot hold the ports at once,
        // hence stop-first updates.
        ports: [80, 443].map((port) => ({ target: port, published: port, protocol: 'tcp', mode: 'host' })),
        healthcheck: renderHealthcheck(healthcheck),
        volumes: ['/var/run/docker.sock:/var/run/docker.sock:ro', 'letsencrypt:/letsencrypt'],
        networks: [PUBLIC_NETWORK],
        deploy,
      },
    },
    networks: { [PUBLIC_NETWORK]: { external: true } },
    volumes: { letsencrypt: {} },
  };
  const compose = toComposeYaml(
    [
      `deckhand Traefik stack (${image}) with certificate resolver ${CERT_RESOLVER}.`,
      `Generated by setup-server: do not edit. Its ${ENV_FILE_NAME} is empty.`,
    ],
    doc,
  );
  return {
    compose,
    envFile: '',
    plan: {
      stackName: TRAEFIK_STACK_NAME,
      serviceFullName: `${TRAEFIK_STACK_NAME}_traefik`,
      image,
      network: PUBLIC_NETWORK,
      certResolver: CERT_RESOLVER,
      publishedPorts: [80, 443],
      volumes: [`${TRAEFIK_STACK_NAME}_letsencrypt`],
      composeFile: COMPOSE_FILE_NAME,
      healthTimeoutSeconds: healthTimeoutSeconds(healthcheck),
    },
  };
}
