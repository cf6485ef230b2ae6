import type { PlannedHook } from '../render/index.js';

/** Where releases live on a server: one directory per stack with releases/<hash>/, current, previous and release.json. */
export const APPS_DIR = '/opt/deckhand/apps';

/** Probes a service that has no health check of its own, from a one-off container on the shared network. */
export const PROBE_IMAGE = 'busybox:1.37.0';

/** A user compose file's route: where Traefik sends the domain. */
export interface RouteInput {
  readonly service: string;
  readonly port: number;
  readonly probe_path?: string | undefined;
}

/** What a deploy-app job record holds: no env values and no compose text, since both may carry secrets. */
export interface DeployParams {
  readonly app: string | null;
  readonly stack: string;
  /** undefined: keep the domain of the deployed release; null: no domain. */
  readonly domain?: string | null | undefined;
  /** null: reuse the env of the deployed release. */
  readonly env_keys: readonly string[] | null;
  readonly route?: RouteInput | undefined;
  readonly compose_sha256?: string | undefined;
}

/** Kept beside the job in a 0600 file until the job ends: the values params leave out. */
export interface DeployInput {
  readonly env?: Record<string, string> | undefined;
  readonly compose?: string | undefined;
}

export interface UndeployParams {
  readonly stack: string;
  readonly remove_data: boolean;
}

/** release.json on the server: what is deployed in a stack. One line of JSON. */
export interface ReleaseRecord {
  readonly version: 1;
  readonly stack: string;
  /** The catalogue app, or null for a user compose file. */
  readonly app: string | null;
  readonly app_version: string | null;
  readonly hash: string;
  readonly deployed_at: string;
  readonly job_id: string;
  readonly domain: string | null;
  readonly url: string | null;
  readonly services: readonly string[];
  readonly volumes: readonly string[];
  /** Stacks this one uses (e.g. postgres for n8n): undeploying them first is refused. */
  readonly dependencies: readonly string[];
  readonly previous: { readonly hash: string; readonly deployed_at: string } | null;
  /** The compose file reads ${VAR} from .env (user compose files): export it before docker stack deploy. */
  readonly interpolates_env: boolean;
}

export interface ReleaseService {
  readonly name: string;
  readonly fullName: string;
  readonly image: string;
  readonly healthcheck: boolean;
}

/** A rendered release, ready to upload and deploy. `compose` holds no secret; `envFile` does. */
export interface ReleaseSpec {
  readonly stack: string;
  readonly app: string | null;
  readonly appVersion: string | null;
  readonly compose: string;
  readonly envFile: string;
  readonly hash: string;
  /** The compose text refers to .env values as ${VAR}: export them before docker stack deploy. */
  readonly interpolatesEnv: boolean;
  readonly services: readonly ReleaseService[];
  readonly volumes: readonly string[];
  readonly domain: string | null;
  readonly url: string | null;
  /** A routed service without a health check of its own: probed over the shared network. */
  readonly directProbe: { readonly fullName: string; readonly port: number; readonly path: string } | null;
  /** With a domain: probed through Traefik on the server with this Host header. */
  readonly routeProbe: { readonly host: string; readonly path: string } | null;
  readonly hooks: readonly PlannedHook[];
  readonly dependencies: readonly string[];
  readonly warnings: readonly string[];
}

export interface ServiceReport {
  readonly name: string;
  readonly replicas: string;
  readonly image: string;
}

/** What one stack's deploy answers (inside the job result). */
export interface StackOutcome {
  readonly stack: string;
  readonly app: string | null;
  readonly changed: boolean;
  readonly release: string;
  readonly previous_release: string | null;
  readonly url: string | null;
  readonly services: readonly ServiceReport[];
  readonly warnings: readonly string[];
}
