import { FaultBook } from './faults.js';

export type FakeServerStatus =
  'initializing' | 'starting' | 'running' | 'stopping' | 'off' | 'deleting' | 'migrating' | 'rebuilding' | 'unknown';

export interface FakeServer {
  id: number;
  name: string;
  status: FakeServerStatus;
  serverType: string;
  location: string;
  imageId: number;
  labels: Record<string, string>;
  ipv4: string;
  created: Date;
  sshKeyIds: number[];
  userData?: string;
}

export interface FakeAction {
  id: number;
  command: string;
  status: 'running' | 'success' | 'error';
  progress: number;
  started: Date;
  finished?: Date;
  error?: { code: string; message: string };
  resourceId: number;
  resourceType: 'server';
  /** The error the action will end with, decided when it starts (from an injected fault). */
  failWith?: { code: string; message: string };
  onSuccess?: () => void;
  onError?: () => void;
}

export interface FakeSshKey {
  id: number;
  name: string;
  fingerprint: string;
  publicKey: string;
  labels: Record<string, string>;
  created: Date;
}

/** One response the fake sent (or a reset it did instead), for assertions and the schema check. */
export interface RecordedResponse {
  method: string;
  /** Path below /v1, without the query. */
  path: string;
  query: string;
  /** The parsed JSON request body (the raw text when it was not JSON), undefined when there was none. */
  requestBody: unknown;
  /** 0 when the socket was destroyed instead of answering. */
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

export interface RateLimitOptions {
  /** Requests per hour, as `RateLimit-Limit` reports it (default 3600). */
  limit?: number;
  /** Refill speed; Hetzner refills limit/3600 per second, tests may speed it up. */
  refillPerSecond?: number;
}

export interface FakeStateOptions {
  actionDurationMs: number;
  ipForServer: (name: string) => string;
  serverLimit: number;
  rateLimit: Required<RateLimitOptions>;
}

export class FakeState {
  readonly servers = new Map<number, FakeServer>();
  readonly actions = new Map<number, FakeAction>();
  readonly sshKeys = new Map<number, FakeSshKey>();
  readonly responses: RecordedResponse[] = [];
  /** Exceptions thrown by the fake's own code; tests assert this stays empty. */
  readonly internalErrors: unknown[] = [];
  readonly faults = new FaultBook();
  /**
   * Runs before each authenticated request is routed: lets a test play "another client" acting at an
   * exact moment, e.g. registering the same SSH key between deckhand's lookup and its create.
   */
  beforeRoute?: (method: string, path: string) => void;
  /** Mutable so a test can slow down or speed up actions mid-way. */
  actionDurationMs: number;
  serverLimit: number;
  readonly ipForServer: (name: string) => string;
  readonly rate: { limit: number; refillPerSecond: number; remaining: number; at: number };
  #nextServerId = 42_000_001;
  #nextActionId = 7_000_001;
  #nextKeyId = 3_100_001;

  constructor(opts: FakeStateOptions) {
    this.actionDurationMs = opts.actionDurationMs;
    this.serverLimit = opts.serverLimit;
    this.ipForServer = opts.ipForServer;
    this.rate = { ...opts.rateLimit, remaining: opts.rateLimit.limit, at: Date.now() };
  }

  /** Moves running actions forward in time; called before each request is handled. */
  tick(now = Date.now()): void {
    for (const a of this.actions.values()) {
      if (a.status !== 'running') continue;
      const elapsed = now - a.started.getTime();
      if (elapsed < this.actionDurationMs) {
        a.progress = Math.min(99, Math.floor((elapsed / Math.max(1, this.actionDurationMs)) * 100));
        continue;
      }
      a.finished = new Date(Math.max(now, a.started.getTime()));
      if (a.failWith) {
        a.status = 'error';
        a.error = a.failWith;
        a.onError?.();
      } else {
        a.status = 'success';
        a.progress = 100;
        a.onSuccess?.();
      }
    }
  }

  startAction(
    command: string,
    resourceId: number,
    hooks: { onSuccess?: () => void; onError?: () => void; failWith?: { code: string; message: string } } = {},
  ): FakeAction {
    const fault = this.faults.takeActionFault(command);
    const failWith =
      hooks.failWith ??
      (fault ? (fault.error ?? { code: 'action_failed', message: `${command} failed (injected)` }) : undefined);
    const action: FakeAction = {
      id: this.#nextActionId++,
      command,
      status: 'running',
      progress: 0,
      started: new Date(),
      resourceId,
      resourceType: 'server',
      ...(failWith ? { failWith } : {}),
      ...(hooks.onSuccess ? { onSuccess: hooks.onSuccess } : {}),
      ...(hooks.onError ? { onError: hooks.onError } : {}),
    };
    this.actions.set(action.id, action);
    return action;
  }

  /** Adds a server directly (also how tests seed servers deckhand did not create). */
  addServer(spec: {
    name: string;
    serverType?: string;
    location?: string;
    imageId?: number;
    labels?: Record<string, string>;
    status?: FakeServerStatus;
    sshKeyIds?: number[];
    userData?: string;
  }): FakeServer {
    const server: FakeServer = {
      id: this.#nextServerId++,
      name: spec.name,
      status: spec.status ?? 'running',
      serverType: spec.serverType ?? 'cx23',
      location: spec.location ?? 'fsn1',
      imageId: spec.imageId ?? 114690387,
      labels: { ...spec.labels },
      ipv4: this.ipForServer(spec.name),
      created: new Date(),
      sshKeyIds: spec.sshKeyIds ?? [],
      ...(spec.userData !== undefined ? { userData: spec.userData } : {}),
    };
    this.servers.set(server.id, server);
    return server;
  }

  addSshKey(spec: {
    name: string;
    publicKey: string;
    fingerprint: string;
    labels?: Record<string, string>;
  }): FakeSshKey {
    const key: FakeSshKey = {
      id: this.#nextKeyId++,
      name: spec.name,
      publicKey: spec.publicKey,
      fingerprint: spec.fingerprint,
      labels: { ...spec.labels },
      created: new Date(),
    };
    this.sshKeys.set(key.id, key);
    return key;
  }

  findServerByName(name: string): FakeServer | undefined {
    return [...this.servers.values()].find((s) => s.name === name);
  }

  /** Takes one request from the bucket; false when it is empty (the request gets a 429). */
  consumeRateLimit(now = Date.now()): boolean {
    const r = this.rate;
    r.remaining = Math.min(r.limit, r.remaining + ((now - r.at) / 1000) * r.refillPerSecond);
    r.at = now;
    if (r.remaining < 1) return false;
    r.remaining -= 1;
    return true;
  }

  rateLimitHeaders(now = Date.now()): Record<string, string> {
    const r = this.rate;
    const secondsToFull = Math.ceil((r.limit - r.remaining) / r.refillPerSecond);
    return {
      'RateLimit-Limit': String(r.limit),
      'RateLimit-Remaining': String(Math.floor(r.remaining)),
      'RateLimit-Reset': String(Math.ceil(now / 1000) + secondsToFull),
    };
  }
}
