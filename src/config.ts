import os from 'node:os';
import path from 'node:path';
import { hetznerConfigFromEnv } from './providers/index.js';
import { allHttpTokens, type HttpToken } from './policy/tokens.js';
import { commaList, EnvSchema, TOOLSETS, type Toolset } from './config-env.js';

/** Everything configurable, parsed once at the edge (cli.ts) from env and flags into a frozen object. */
/**
 * An image replaced for offline or private-registry deploys (DECKHAND_IMAGE_OVERRIDES): the substitute image, or one
 * with its own healthcheck (validated against the catalogue's schema when applied) and command.
 */
export type ImageOverride =
  | string
  | {
      readonly image: string;
      readonly healthcheck?: Readonly<Record<string, unknown>> | undefined;
      readonly command?: readonly string[] | undefined;
    };

export interface Config {
  readonly home: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly logFile: string | undefined;
  readonly connectTimeoutMs: number;
  readonly keepaliveIntervalMs: number;
  readonly output: OutputCaps;
  readonly http: {
    readonly token: string | undefined;
    /** Every accepted token with its name and policy: DECKHAND_HTTP_TOKEN as "default", then DECKHAND_HTTP_TOKENS. */
    readonly tokens: readonly HttpToken[];
    /** Extra Host header values to accept besides loopback names (DNS-rebinding guard). */
    readonly allowedHosts: readonly string[];
    readonly allowedOrigins: readonly string[];
    /** A session with no request for this long (and none open) is closed: clients that vanish leak nothing. */
    readonly sessionIdleMs: number;
  };
  readonly jobs: JobsConfig;
  /** Where the job system keeps its state: SQLite in DECKHAND_HOME, or PostgreSQL shared by several instances. */
  readonly store: {
    readonly databaseUrl: string | undefined;
    /** DECKHAND_SECRET_KEY (PostgreSQL mode): checked by the store when it opens. */
    readonly secretKey: string | undefined;
  };
  /** MCP Tasks (experimental): remote-bash accepts task-augmented calls; DECKHAND_TASKS=off turns that off. */
  readonly tasks: boolean;
  readonly provisioning: ProvisioningConfig;
  readonly deploy: DeployConfig;
  readonly dashboard: DashboardConfig;
  readonly safety: SafetyConfig;
  readonly files: FilesConfig;
  /** DECKHAND_TOOLSETS: the groups of MCP tools tools/list shows (default all). */
  readonly toolsets: readonly Toolset[];
}

export { TOOLSETS, type Toolset } from './config-env.js';

/** The web dashboard (`serve --http` at /, and `deckhand dashboard`). */
export interface DashboardConfig {
  /** full: pages and actions; readonly: pages only, actions hidden and refused; off: not served by serve --http. */
  readonly mode: 'full' | 'readonly' | 'off';
}

/** Approvals and the audit log. */
export interface SafetyConfig {
  /** How long a person has to approve a request, and the assistant to make the call again once approved. */
  readonly approvalTtlS: number;
  /** Audit entries are kept this many days (0: forever), apart from job retention. */
  readonly auditRetainDays: number;
}

/** read-file, write-file, transfer-file; add-server's ssh_config_host and `deckhand servers import`. */
export interface FilesConfig {
  /** DECKHAND_FILES_ROOT: the one local directory transfer-file may read and write; unset, local transfers are off. */
  readonly root: string | undefined;
  /** DECKHAND_SSH_CONFIG: the ssh config read alone (like ssh -F) instead of ~/.ssh/config and /etc/ssh/ssh_config. */
  readonly sshConfigFile: string | undefined;
}

/** deploy-app, undeploy-app, list-apps. */
export interface DeployConfig {
  /** `docker stack deploy --resolve-image`: never suits engines without a registry (tests). */
  readonly resolveImage: 'always' | 'changed' | 'never';
  /** Image reference → substitute (a local image, optionally its own health check and command), for every app. */
  readonly imageOverrides: Readonly<Record<string, ImageOverride>>;
  /** The longest a deploy waits for a stack to converge (image pulls included) before it rolls back. */
  readonly waitS: number;
}

/** create-server, delete-server, setup-server. */
export interface ProvisioningConfig {
  /** HCLOUD_TOKEN (or HETZNER_TOKEN) and HCLOUD_ENDPOINT, read like the `hcloud` CLI reads them. */
  readonly hetzner: { readonly token: string | undefined; readonly endpoint: string };
  /** auto: ask through elicitation where the client supports it; always: also require confirm: true elsewhere; never. */
  readonly confirm: 'auto' | 'always' | 'never';
  /** How often provider actions are polled (Hetzner asks for about once a second). */
  readonly actionPollMs: number;
  /** Replaces the pinned Traefik image in setup-server (a mirror, or a local stand-in in tests). */
  readonly traefikImage: string | undefined;
}

export interface OutputCaps {
  readonly headLines: number;
  readonly tailLines: number;
  readonly maxBytes: number;
}

export interface JobsConfig {
  /** Jobs this instance runs at once (0: it serves clients and executes nothing). */
  readonly maxJobs: number;
  /** Jobs running at once on one server, across all instances. */
  readonly maxPerServer: number;
  readonly defaultTimeoutS: number;
  readonly logMaxBytes: number;
  /** Finished job records are deleted this many days after the job ended (0: kept forever). */
  readonly retainDays: number;
  /** An instance silent for this long loses its running jobs to another instance, which reattaches to them. */
  readonly ownerTimeoutS: number;
  /** Logs of finished jobs are removed this many days after the job ended, or sooner past logsMaxTotalBytes. */
  readonly logRetainDays: number;
  readonly logsMaxTotalBytes: number;
  readonly remoteKeepFailedHours: number;
  /** A resident agent per pooled connection runs remote-bash commands without a login shell each (off: exec path). */
  readonly remoteAgent: boolean;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; every problem names the variable, the value and what was expected. */
export function loadConfig(env: NodeJS.ProcessEnv, homeDir = os.homedir()): Config {
  // An empty variable means "not set" (MCP client configs often carry `"KEY": ""`): z.coerce would read it as 0,
  // silently turning e.g. DECKHAND_OUTPUT_HEAD_LINES="" into "keep no head lines".
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = EnvSchema.safeParse(set);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? '?');
      const val = env[key];
      const shown = /TOKEN|SECRET|DATABASE_URL/.test(key) ? '(hidden)' : JSON.stringify(val);
      const inner = i.path.slice(1).join('.');
      return `${key}=${shown}: ${inner ? `${inner}: ` : ''}${i.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const tokens = allHttpTokens(e.DECKHAND_HTTP_TOKEN, e.DECKHAND_HTTP_TOKENS ?? []);
  if (new Set(tokens.map((t) => t.token)).size !== tokens.length)
    throw new ConfigError(
      'Invalid configuration:\n  DECKHAND_HTTP_TOKENS=(hidden): one of its tokens is DECKHAND_HTTP_TOKEN too; give each token once',
    );
  const home = path.resolve(e.DECKHAND_HOME ?? path.join(homeDir, '.deckhand'));
  return Object.freeze({
    home,
    logLevel: e.DECKHAND_LOG_LEVEL,
    logFile: e.DECKHAND_LOG_FILE,
    connectTimeoutMs: e.DECKHAND_CONNECT_TIMEOUT_S * 1000,
    keepaliveIntervalMs: e.DECKHAND_KEEPALIVE_S * 1000,
    output: Object.freeze({
      headLines: e.DECKHAND_OUTPUT_HEAD_LINES,
      tailLines: e.DECKHAND_OUTPUT_TAIL_LINES,
      maxBytes: e.DECKHAND_OUTPUT_MAX_BYTES,
    }),
    http: Object.freeze({
      token: e.DECKHAND_HTTP_TOKEN,
      tokens,
      allowedHosts: commaList(e.DECKHAND_HTTP_ALLOWED_HOSTS),
      allowedOrigins: commaList(e.DECKHAND_HTTP_ALLOWED_ORIGINS),
      sessionIdleMs: e.DECKHAND_HTTP_SESSION_IDLE_S * 1000,
    }),
    tasks: e.DECKHAND_TASKS === 'on',
    store: Object.freeze({ databaseUrl: e.DECKHAND_DATABASE_URL, secretKey: e.DECKHAND_SECRET_KEY }),
    jobs: Object.freeze({
      maxJobs: e.DECKHAND_MAX_JOBS,
      maxPerServer: e.DECKHAND_MAX_JOBS_PER_SERVER,
      defaultTimeoutS: e.DECKHAND_JOB_TIMEOUT_S,
      logMaxBytes: e.DECKHAND_JOB_LOG_MAX_BYTES,
      retainDays: e.DECKHAND_JOBS_RETAIN_DAYS,
      ownerTimeoutS: e.DECKHAND_OWNER_TIMEOUT_S,
      logRetainDays: e.DECKHAND_JOB_LOGS_RETAIN_DAYS,
      logsMaxTotalBytes: e.DECKHAND_JOB_LOGS_MAX_TOTAL_BYTES,
      remoteKeepFailedHours: e.DECKHAND_REMOTE_KEEP_FAILED_H,
      remoteAgent: e.DECKHAND_REMOTE_AGENT === 'on',
    }),
    provisioning: Object.freeze({
      hetzner: Object.freeze({
        token: undefined,
        ...hetznerConfigFromEnv({
          HCLOUD_TOKEN: e.HCLOUD_TOKEN,
          HETZNER_TOKEN: e.HETZNER_TOKEN,
          HCLOUD_ENDPOINT: e.HCLOUD_ENDPOINT,
        }),
      }),
      confirm: e.DECKHAND_CONFIRM,
      actionPollMs: e.DECKHAND_PROVIDER_POLL_MS,
      traefikImage: e.DECKHAND_TRAEFIK_IMAGE,
    }),
    deploy: Object.freeze({
      resolveImage: e.DECKHAND_RESOLVE_IMAGE,
      imageOverrides: Object.freeze(e.DECKHAND_IMAGE_OVERRIDES ?? {}),
      waitS: e.DECKHAND_DEPLOY_WAIT_S,
    }),
    dashboard: Object.freeze({ mode: e.DECKHAND_DASHBOARD }),
    safety: Object.freeze({
      approvalTtlS: e.DECKHAND_APPROVAL_TTL_S,
      auditRetainDays: e.DECKHAND_AUDIT_RETAIN_DAYS,
    }),
    files: Object.freeze({ root: e.DECKHAND_FILES_ROOT, sshConfigFile: e.DECKHAND_SSH_CONFIG }),
    toolsets: Object.freeze(
      e.DECKHAND_TOOLSETS ? TOOLSETS.filter((g) => e.DECKHAND_TOOLSETS?.includes(g)) : [...TOOLSETS],
    ),
  });
}
