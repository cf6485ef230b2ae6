import { parseDocument } from 'yaml';
import { COMPOSE_VERSION, ENV_FILE_NAME, PUBLIC_NETWORK } from './constants.js';
import { ComposeValidationError } from '../errors.js';
import { parseImageRef, pinnedImageProblem } from './images.js';

export const BUILD_REFUSED =
  'deckhand deploys prebuilt images: push the image to a registry and reference it with image: name:tag';

export interface PublishedPort {
  readonly target: number;
  readonly published: number | undefined;
}

export interface UserComposeService {
  readonly name: string;
  readonly image: string;
  readonly publishedPorts: readonly PublishedPort[];
}

export interface UserCompose {
  /** The parsed file with `version` set to a 3.x value docker stack deploy accepts. */
  readonly compose: Record<string, unknown>;
  readonly services: readonly UserComposeService[];
  readonly warnings: readonly string[];
}

/** Well-known database and broker ports: publishing them puts the data store on the internet. */
const DATABASE_PORTS: ReadonlyMap<number, string> = new Map([
  [5432, 'PostgreSQL'],
  [3306, 'MySQL/MariaDB'],
  [6379, 'Redis'],
  [27017, 'MongoDB'],
  [9200, 'Elasticsearch'],
  [5984, 'CouchDB'],
  [11211, 'Memcached'],
  [9042, 'Cassandra'],
  [1433, 'SQL Server'],
  [8086, 'InfluxDB'],
  [5672, 'RabbitMQ'],
  [9000, 'ClickHouse'],
]);
const DATABASE_IMAGE =
  /(^|\/)(postgres|postgis|mysql|mariadb|redis|valkey|keydb|mongo|elasticsearch|opensearch|couchdb|memcached|cassandra|mssql|influxdb|rabbitmq|clickhouse)[^/]*$/;

const SWARM_IGNORED: ReadonlyMap<string, string> = new Map([
  ['container_name', 'Swarm names containers itself'],
  ['depends_on', 'Swarm starts services in any order; give them health checks and retries instead'],
  ['restart', 'Swarm uses deploy.restart_policy'],
  ['links', 'services reach each other by name on their networks'],
]);

/**
 * Checks a user's own compose file before deploy-app runs it with docker stack deploy. Refuses what can
 * never work there (build:, unpinned images, a non-3 version) with every problem listed; warns about
 * what works but is risky (published database ports) or ignored by Swarm.
 */
export function validateUserCompose(text: string): UserCompose {
  const doc = parseDocument(text, { merge: true, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ComposeValidationError(
      doc.errors.map((e) => `not valid YAML: ${e.message}`),
      { cause: doc.errors[0] },
    );
  }
  const root: unknown = doc.toJS({ maxAliasCount: 100 });
  if (!isRecord(root)) throw new ComposeValidationError(['the file must be a YAML mapping with a services: key']);

  const issues: string[] = [];
  const warnings: string[] = [];
  const version = root.version;
  if (version !== undefined && !/^3(\.\d+)?$/.test(String(version))) {
    issues.push(`version ${JSON.stringify(version)} is not supported by docker stack deploy: use 3.x or leave it out`);
  }
  const services = root.services;
  if (!isRecord(services) || Object.keys(services).length === 0) {
    issues.push('services: is missing or empty; list at least one service with an image');
    throw new ComposeValidationError(issues);
  }

  const checked: UserComposeService[] = [];
  for (const [name, raw] of Object.entries(services)) {
    if (!isRecord(raw)) {
      issues.push(`service ${name} must be a mapping`);
      continue;
    }
    if (raw.build !== undefined) issues.push(`service ${name} uses build: ${BUILD_REFUSED}`);
    const image = raw.image;
    if (typeof image !== 'string' || image.trim() === '') {
      if (raw.build === undefined) issues.push(`service ${name} has no image: ${BUILD_REFUSED}`);
      continue;
    }
    const problem = pinnedImageProblem(image.trim());
    if (problem) issues.push(`service ${name}: ${problem}`);
    const ports = parsePorts(name, raw.ports, issues);
    const databaseImage = DATABASE_IMAGE.test(parseImageRef(image.trim())?.name ?? '');
    for (const port of ports) {
      const known = DATABASE_PORTS.get(port.target);
      if (known || databaseImage) {
        const what = known ?? 'a database';
        const host = port.published === undefined ? 'a host port Swarm picks' : `host port ${port.published}`;
        warnings.push(
          `service ${name} publishes ${what} port ${port.target} on ${host}: Docker-published ports bypass ufw ` +
            `and expose it to the internet; remove ports: and reach it by service name on the ${PUBLIC_NETWORK} network`,
        );
      }
    }
    for (const [key, why] of SWARM_IGNORED) {
      if (raw[key] !== undefined) warnings.push(`service ${name}: ${key} is ignored by docker stack deploy (${why})`);
    }
    warnings.push(...bindMountWarnings(name, raw.volumes));
    if (raw.env_file !== undefined && !onlyDeckhandEnvFile(raw.env_file)) {
      warnings.push(`service ${name}: env_file other than ${ENV_FILE_NAME} is not uploaded; pass values through env`);
    }
    checked.push({ name, image: image.trim(), publishedPorts: ports });
  }
  if (issues.length > 0) throw new ComposeValidationError(issues);

  const compose: Record<string, unknown> = {
    ...root,
    version: version === undefined ? COMPOSE_VERSION : String(version),
  };
  return { compose, services: checked, warnings };
}

function parsePorts(service: string, raw: unknown, issues: string[]): PublishedPort[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    issues.push(`service ${service}: ports must be a list`);
    return [];
  }
  const out: PublishedPort[] = [];
  for (const entry of raw) {
    if (isRecord(entry)) {
      const target = Number(entry.target);
      const published = entry.published === undefined ? undefined : Number(entry.published);
      if (Number.isInteger(target)) out.push({ target, published });
      else issues.push(`service ${service}: port entry ${JSON.stringify(entry)} has no numeric target`);
      continue;
    }
    // Short syntax: [host_ip:][published[-range]:]target[-range][/protocol]
    const spec = String(entry).split('/')[0] ?? '';
    const parts = spec.split(':');
    const target = Number((parts[parts.length - 1] ?? '').split('-')[0]);
    const publishedPart = parts.length >= 2 ? parts[parts.length - 2] : undefined;
    const published = publishedPart ? Number(publishedPart.split('-')[0]) : undefined;
    if (Number.isInteger(target) && (published === undefined || Number.isInteger(published)))
      out.push({ target, published });
    else issues.push(`service ${service}: cannot read port ${JSON.stringify(entry)}`);
  }
  return out;
}

function bindMountWarnings(service: string, raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((entry) => {
    const source = isRecord(entry)
      ? entry.type === 'bind'
        ? String(entry.source ?? '')
        : ''
      : String(entry).split(':')[0];
    return source && /^(\.|~|\/)/.test(source) && source !== '/var/run/docker.sock'
      ? [
          `service ${service}: bind mount ${source} must already exist on the server; deckhand uploads only the compose file and ${ENV_FILE_NAME} (prefer a named volume)`,
        ]
      : [];
  });
}

function onlyDeckhandEnvFile(raw: unknown): boolean {
  const files = Array.isArray(raw) ? raw : [raw];
  return files.every((f) => {
    const path = isRecord(f) ? f.path : f;
    return path === ENV_FILE_NAME || path === `./${ENV_FILE_NAME}`;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
