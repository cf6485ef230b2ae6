/**
 * Provider-neutral view of a cloud provider, as the create/delete/list tools and their jobs need it.
 *
 * Implementations live in sub-folders (hetzner/) and are leaves: they talk HTTP and nothing else,
 * reporting retries through `onEvent` instead of importing the logger, the store or MCP code.
 * Every failure is a `ProviderError` (see hetzner/errors.ts) whose message says what to change.
 */

export type ServerStatus =
  'initializing' | 'starting' | 'running' | 'stopping' | 'off' | 'deleting' | 'migrating' | 'rebuilding' | 'unknown';

/** An amount in the provider's billing currency; Hetzner bills in EUR. */
export interface Money {
  net: number;
  gross: number;
  currency: string;
}

export interface ProviderServer {
  /** The provider's id, as a string so that providers with non-numeric ids fit the same shape. */
  id: string;
  name: string;
  status: ServerStatus;
  /** Null when the server has no public IPv4 (IPv6-only servers). */
  ipv4: string | null;
  serverType: string;
  location: string;
  labels: Record<string, string>;
  /** Monthly price of the server's type in its location, when the provider reports it. */
  priceMonthly?: Money;
  /** RFC 3339 timestamp. */
  created: string;
}

export type ActionStatus = 'running' | 'success' | 'error';

/** An asynchronous task at the provider (create, start, delete...). */
export interface ProviderAction {
  id: string;
  command: string;
  status: ActionStatus;
  /** 0..100 as reported by the provider. */
  progress: number;
  error?: { code: string; message: string };
}

export interface CreateServerSpec {
  /** Unique per project and a valid RFC 1123 hostname; it is also deckhand's idempotency key. */
  name: string;
  serverType: string;
  location?: string;
  image: string;
  labels: Record<string, string>;
  /** Ids returned by `ensureSshKey`. */
  sshKeyIds: string[];
  /** cloud-init user data (see cloud-init.ts), at most 32 KiB. */
  userData?: string;
}

export interface CreateServerResult {
  server: ProviderServer;
  /** The create action first, then the follow-up actions (power on...); wait for all of them. */
  actions: ProviderAction[];
  /** Only set when no SSH key was given; deckhand always passes keys, so expect null. */
  rootPassword: string | null;
}

export interface WaitForActionOptions {
  signal?: AbortSignal;
  /** Called whenever the reported progress changes. */
  onProgress?: (progress: number, action: ProviderAction) => void;
}

export interface SshKeyInput {
  name: string;
  /** OpenSSH single-line public key (`ssh-ed25519 AAAA... comment`). */
  publicKey: string;
}

export interface ProviderSshKey {
  id: string;
  name: string;
  /** MD5 fingerprint, colon-separated hex, as the provider computes it. */
  fingerprint: string;
}

export interface LocationPrice {
  location: string;
  monthly: Money;
  hourly: Money;
}

export interface ServerTypeInfo {
  name: string;
  description: string;
  cores: number;
  memoryGb: number;
  diskGb: number;
  architecture: 'x86' | 'arm';
  cpuType: 'shared' | 'dedicated';
  deprecated: boolean;
  /** One entry per location where the type has a price. */
  prices: LocationPrice[];
  /** Locations where the type can be ordered right now. */
  availableLocations: string[];
}

export interface LocationInfo {
  name: string;
  description: string;
  city: string;
  country: string;
  networkZone: string;
}

export interface ImageInfo {
  id: string;
  /** Null for snapshots and backups, which have only a description. */
  name: string | null;
  description: string;
  type: 'system' | 'app' | 'snapshot' | 'backup';
  osFlavor: string;
  osVersion: string | null;
  architecture: 'x86' | 'arm';
}

/** Notices a provider emits for the caller to log; providers never log themselves. */
export interface ProviderEvent {
  type: 'retry';
  method: string;
  path: string;
  /** The attempt that failed, starting at 1. */
  attempt: number;
  delayMs: number;
  reason: string;
}

export type ProviderEventListener = (event: ProviderEvent) => void;

export interface Provider {
  /** Short identifier used in labels, inventory records and messages ("hetzner"). */
  readonly name: string;

  /**
   * Creates a server. Never retried blindly: when the outcome is unknown (connection lost, gateway error)
   * it throws `CreateOutcomeUnknownError`; use `createOrAdoptServer` to recover by name.
   */
  createServer(spec: CreateServerSpec, opts?: { signal?: AbortSignal }): Promise<CreateServerResult>;

  /** Resolves to null when the server does not exist. */
  getServer(id: string, opts?: { signal?: AbortSignal }): Promise<ProviderServer | null>;

  /** Exact name match; null when none. */
  findServerByName(name: string, opts?: { signal?: AbortSignal }): Promise<ProviderServer | null>;

  /** All servers, following pagination; `labelSelector` uses the provider's syntax (`k=v,k2`). */
  listServers(opts?: { labelSelector?: string; signal?: AbortSignal }): Promise<ProviderServer[]>;

  /** Starts the deletion and returns its action; wait for it with `waitForAction`. */
  deleteServer(id: string, opts?: { signal?: AbortSignal }): Promise<ProviderAction>;

  /**
   * Polls the action until it ends. Resolves with the successful action; rejects with
   * `ActionFailedError` when it ends in error and with the signal's reason when aborted.
   */
  waitForAction(actionId: string, opts?: WaitForActionOptions): Promise<ProviderAction>;

  /**
   * Makes sure the public key is registered and returns it. Idempotent: finds the key by fingerprint,
   * otherwise creates it, and adopts a key created concurrently (409 on create).
   */
  ensureSshKey(key: SshKeyInput, opts?: { signal?: AbortSignal }): Promise<ProviderSshKey>;

  listServerTypes(opts?: { signal?: AbortSignal }): Promise<ServerTypeInfo[]>;
  listLocations(opts?: { signal?: AbortSignal }): Promise<LocationInfo[]>;
  /** Images carry no price at Hetzner (system images are free); prices belong to server types. */
  listImages(opts?: { signal?: AbortSignal }): Promise<ImageInfo[]>;
}
