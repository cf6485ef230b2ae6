import { sortedRecord, toComposeYaml } from './compose-yaml.js';
import { COMPOSE_FILE_NAME, ENV_FILE_NAME, LABEL_APP, LABEL_STACK, PUBLIC_NETWORK } from './constants.js';
import { RenderError } from '../errors.js';
import type { PlannedRoute } from './plan.js';
import { DOMAIN_NAME, STACK_NAME } from './render.js';
import { deployBlock, traefikLabels, type UpdateOrder } from './service.js';
import { chooseUpdateOrder } from './update-order.js';
import type { UserCompose } from './user-compose.js';

export interface UserRenderOptions {
  readonly stackName: string;
  readonly domain?: string | undefined;
  /** Which service and container port Traefik routes the domain to; required with a domain. */
  readonly route?: { readonly service: string; readonly port: number; readonly probePath?: string } | undefined;
  /** Values for the file's ${VAR} references; written to .env only. */
  readonly env?: Readonly<Record<string, unknown>> | undefined;
}

export interface UserReleasePlan {
  readonly stackName: string;
  readonly network: string;
  readonly composeFile: string;
  readonly envFile: string;
  readonly services: readonly { name: string; fullName: string; image: string; updateOrder: UpdateOrder }[];
  readonly volumes: readonly string[];
  readonly route: PlannedRoute | null;
  /** Keys only: a user's values may be secrets. */
  readonly envKeys: readonly string[];
  /** The compose text refers to .env values as ${VAR}: export the env file before docker stack deploy. */
  readonly interpolatesEnv: boolean;
  readonly warnings: readonly string[];
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)((?::?[-?+])[^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;
const USER_ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Turns a validated user compose file into a release: the routed service joins the shared network and
 * gets Traefik labels, every service gets deckhand labels, and update/restart policies that fail closed
 * where the file sets none, in an order two of its tasks can follow (see chooseUpdateOrder). Values stay in .env and reach the file through its own ${VAR} references.
 */
export function renderUserCompose(
  user: UserCompose,
  options: UserRenderOptions,
): { compose: string; envFile: string; plan: UserReleasePlan } {
  const issues: string[] = [];
  const warnings = [...user.warnings];
  const { stackName } = options;
  const domain = options.domain?.trim().toLowerCase() || undefined;
  const serviceNames = user.services.map((s) => s.name);
  if (!STACK_NAME.test(stackName))
    issues.push(`stack name '${stackName}' must be 1-50 lower-case letters, digits, '-' or '_'`);
  if (domain !== undefined && !DOMAIN_NAME.test(domain)) issues.push(`'${options.domain}' is not a valid domain name`);
  if (domain !== undefined && !options.route)
    issues.push('a domain needs route {service, port}: where Traefik sends it');
  if (options.route && !serviceNames.includes(options.route.service)) {
    issues.push(`route.service '${options.route.service}' is not in the file (services: ${serviceNames.join(', ')})`);
  }

  const env: Record<string, string> = {};
  for (const [key, raw] of Object.entries(options.env ?? {})) {
    if (!USER_ENV_KEY.test(key)) issues.push(`env key ${JSON.stringify(key)} is not a valid variable name`);
    else if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      issues.push(`${key} must be a string, number or boolean`);
    } else if (/[\n\r\0]/.test(String(raw))) issues.push(`${key} must be a single line (no newline or NUL characters)`);
    else env[key] = String(raw);
  }

  const source = JSON.stringify(user.compose);
  const referenced = new Set<string>();
  for (const m of source.replace(/\$\$/g, '').matchAll(VARIABLE)) {
    const name = (m[1] ?? m[3]) as string;
    referenced.add(name);
    // Any modifier (${X:-d}, ${X-d}, ${X:?msg}, ${X:+v}) says what happens when X is unset.
    if (!(name in env) && m[2] === undefined) {
      issues.push(
        `the file uses \${${name}} but env does not set it (set it, or give a default with \${${name}:-value})`,
      );
    }
  }
  const readsEnvFile = Object.values(isRecord(user.compose.services) ? user.compose.services : {}).some(
    (service) =>
      isRecord(service) &&
      [service.env_file]
        .flat()
        .some((f) => [ENV_FILE_NAME, `./${ENV_FILE_NAME}`].includes(String(isRecord(f) ? f.path : f))),
  );
  for (const key of Object.keys(env)) {
    if (!referenced.has(key) && !readsEnvFile)
      warnings.push(`env ${key} is not referenced by the compose file as \${${key}}`);
  }
  if (issues.length > 0) throw new RenderError(stackName, [...new Set(issues)]);

  const services = structuredClone(user.compose.services) as Record<string, Record<string, unknown>>;
  const orders: Record<string, UpdateOrder> = {};
  for (const [name, service] of Object.entries(services)) {
    const routed = domain !== undefined && options.route?.service === name;
    if (routed) service.networks = withPublicNetwork(service.networks);
    const deploy = { ...(isRecord(service.deploy) ? service.deploy : {}) };
    const labels = { ...labelMap(deploy.labels), [LABEL_APP]: stackName, [LABEL_STACK]: stackName };
    if (routed && options.route) Object.assign(labels, traefikLabels(stackName, domain, options.route.port));
    const { order, warning } = chooseUpdateOrder(name, service);
    if (warning) warnings.push(warning);
    orders[name] = order;
    const defaults = deployBlock(1, order, {});
    service.deploy = {
      ...deploy,
      update_config: {
        ...(defaults.update_config as object),
        ...(isRecord(deploy.update_config) ? deploy.update_config : {}),
        order,
      },
      restart_policy: deploy.restart_policy ?? defaults.restart_policy,
      labels: sortedRecord(labels),
    };
  }
  const networks = { ...(isRecord(user.compose.networks) ? user.compose.networks : {}) };
  if (domain !== undefined) {
    if (networks[PUBLIC_NETWORK] !== undefined)
      warnings.push(`the file's own ${PUBLIC_NETWORK} definition was replaced`);
    networks[PUBLIC_NETWORK] = { external: true };
  }
  const doc: Record<string, unknown> = { ...user.compose, services };
  if (Object.keys(networks).length > 0) doc.networks = networks;

  const volumes = Object.entries(isRecord(user.compose.volumes) ? user.compose.volumes : {})
    .filter(([, v]) => !(isRecord(v) && v.external))
    .map(([name, v]) => (isRecord(v) && typeof v.name === 'string' ? v.name : `${stackName}_${name}`))
    .sort();
  const envKeys = Object.keys(env).sort();
  return {
    compose: toComposeYaml([`deckhand release of a user compose file as stack ${stackName}.`], doc),
    envFile:
      [`# deckhand: env of stack ${stackName}; keep it mode 0600`, ...envKeys.map((k) => `${k}=${env[k]}`)].join('\n') +
      '\n',
    plan: {
      stackName,
      network: PUBLIC_NETWORK,
      composeFile: COMPOSE_FILE_NAME,
      envFile: ENV_FILE_NAME,
      services: user.services.map((s) => ({
        name: s.name,
        fullName: `${stackName}_${s.name}`,
        image: s.image,
        updateOrder: orders[s.name] ?? 'start-first',
      })),
      volumes,
      route:
        domain !== undefined && options.route
          ? {
              service: options.route.service,
              host: domain,
              port: options.route.port,
              url: `https://${domain}`,
              probe: { path: options.route.probePath ?? '/', hostHeader: domain },
            }
          : null,
      envKeys,
      interpolatesEnv: referenced.size > 0,
      warnings,
    },
  };
}

/**
 * A POSIX sh snippet that exports every KEY=value line of an env file, values taken literally, so
 * docker stack deploy can substitute ${VAR} from it: `. ./.env` would run values as shell code.
 */
export function exportEnvFileScript(envFilePath: string): string {
  const quoted = `'${envFilePath.split("'").join(`'\\''`)}'`;
  return `while IFS= read -r line || [ -n "$line" ]; do case "$line" in ''|'#'*) ;; *) export "$line" ;; esac; done < ${quoted}`;
}

function withPublicNetwork(networks: unknown): unknown {
  if (Array.isArray(networks)) return networks.includes(PUBLIC_NETWORK) ? networks : [...networks, PUBLIC_NETWORK];
  if (isRecord(networks)) return { ...networks, [PUBLIC_NETWORK]: null };
  // Without a list the service sits on the stack's default network only; keep it there too.
  return ['default', PUBLIC_NETWORK];
}

function labelMap(labels: unknown): Record<string, string> {
  if (isRecord(labels)) return Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)]));
  if (!Array.isArray(labels)) return {};
  return Object.fromEntries(
    labels.map((entry) => {
      const text = String(entry);
      const eq = text.indexOf('=');
      return eq < 0 ? [text, ''] : [text.slice(0, eq), text.slice(eq + 1)];
    }),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
