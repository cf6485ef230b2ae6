import { ActionFailedError, CreateOutcomeUnknownError, ProviderError, isProviderError } from '../errors.js';
import { abortableSleep } from '../sleep.js';
import { md5Fingerprint } from '../ssh-key-fingerprint.js';
import type {
  CreateServerResult,
  CreateServerSpec,
  ImageInfo,
  LocationInfo,
  Provider,
  ProviderAction,
  ProviderServer,
  ProviderSshKey,
  ServerTypeInfo,
  SshKeyInput,
  WaitForActionOptions,
} from '../types.js';
import { explainCreateError } from './catalogue-errors.js';
import { HetznerClient, type HetznerClientOptions } from './client.js';
import { toAction, toHetznerId, toImage, toLocation, toServer, toServerType } from './mappers.js';
import {
  actionResponseSchema,
  createServerResponseSchema,
  imageSchema,
  locationSchema,
  serverResponseSchema,
  serverSchema,
  serverTypeSchema,
  sshKeyResponseSchema,
  sshKeySchema,
} from './schemas.js';

export interface HetznerProviderOptions extends HetznerClientOptions {
  /** How often `waitForAction` polls (default 1000 ms, what Hetzner recommends for its rate limit). */
  pollIntervalMs?: number;
}

type Opts = { signal?: AbortSignal };

export class HetznerProvider implements Provider {
  readonly name = 'hetzner';
  readonly #client: HetznerClient;
  readonly #pollIntervalMs: number;

  constructor(opts: HetznerProviderOptions = {}) {
    this.#client = new HetznerClient(opts);
    this.#pollIntervalMs = opts.pollIntervalMs ?? 1000;
  }

  async createServer(spec: CreateServerSpec, opts: Opts = {}): Promise<CreateServerResult> {
    const body = {
      name: spec.name,
      server_type: spec.serverType,
      image: spec.image,
      ...(spec.location ? { location: spec.location } : {}),
      labels: spec.labels,
      ssh_keys: spec.sshKeyIds,
      ...(spec.userData !== undefined ? { user_data: spec.userData } : {}),
      start_after_create: true,
    };
    try {
      const res = await this.#client.request({
        method: 'POST',
        path: '/servers',
        body,
        schema: createServerResponseSchema,
        what: `create server "${spec.name}"`,
        signal: opts.signal,
        onOutcomeUnknown: (cause) => new CreateOutcomeUnknownError(spec.name, cause),
      });
      return {
        server: toServer(res.server),
        actions: [res.action, ...res.next_actions].map(toAction),
        rootPassword: res.root_password,
      };
    } catch (err) {
      if (err instanceof CreateOutcomeUnknownError || !isProviderError(err)) throw err;
      throw await explainCreateError(err, spec, this, opts.signal);
    }
  }

  async getServer(id: string, opts: Opts = {}): Promise<ProviderServer | null> {
    const numeric = toHetznerId(id);
    if (numeric === null) return null;
    try {
      const res = await this.#client.request({
        method: 'GET',
        path: `/servers/${numeric}`,
        schema: serverResponseSchema,
        what: `read server ${id}`,
        signal: opts.signal,
      });
      return toServer(res.server);
    } catch (err) {
      if (isProviderError(err, 'not_found')) return null;
      throw err;
    }
  }

  async findServerByName(name: string, opts: Opts = {}): Promise<ProviderServer | null> {
    const servers = await this.#client.listAll({
      path: '/servers',
      key: 'servers',
      item: serverSchema,
      query: { name },
      what: `look up server "${name}"`,
      signal: opts.signal,
    });
    // The API filters by exact name already; checking again guards against a proxy that ignores the filter.
    const match = servers.find((s) => s.name === name);
    return match ? toServer(match) : null;
  }

  async listServers(opts: Opts & { labelSelector?: string } = {}): Promise<ProviderServer[]> {
    const servers = await this.#client.listAll({
      path: '/servers',
      key: 'servers',
      item: serverSchema,
      query: { label_selector: opts.labelSelector },
      what: 'list servers',
      signal: opts.signal,
    });
    return servers.map(toServer);
  }

  async deleteServer(id: string, opts: Opts = {}): Promise<ProviderAction> {
    const numeric = toHetznerId(id);
    if (numeric === null) {
      throw new ProviderError(`There is no Hetzner server with id "${id}"`, {
        code: 'not_found',
        hint: 'Hetzner server ids are positive integers: check the id with list-servers',
      });
    }
    const res = await this.#client.request({
      method: 'DELETE',
      path: `/servers/${numeric}`,
      schema: actionResponseSchema,
      what: `delete server ${id}`,
      signal: opts.signal,
    });
    return toAction(res.action);
  }

  async waitForAction(actionId: string, opts: WaitForActionOptions = {}): Promise<ProviderAction> {
    let lastProgress = -1;
    for (;;) {
      const res = await this.#client.request({
        method: 'GET',
        path: `/actions/${encodeURIComponent(actionId)}`,
        schema: actionResponseSchema,
        what: `read action ${actionId}`,
        signal: opts.signal,
      });
      const action = toAction(res.action);
      if (action.progress !== lastProgress) {
        lastProgress = action.progress;
        opts.onProgress?.(action.progress, action);
      }
      if (action.status === 'success') return action;
      if (action.status === 'error') throw new ActionFailedError(action);
      await abortableSleep(this.#pollIntervalMs, opts.signal);
    }
  }

  async ensureSshKey(key: SshKeyInput, opts: Opts = {}): Promise<ProviderSshKey> {
    const fingerprint = md5Fingerprint(key.publicKey);
    const existing = await this.#findSshKey(fingerprint, opts.signal);
    if (existing) return existing;
    try {
      const res = await this.#client.request({
        method: 'POST',
        path: '/ssh_keys',
        body: { name: key.name, public_key: key.publicKey.trim(), labels: { 'managed-by': 'deckhand' } },
        schema: sshKeyResponseSchema,
        what: `register SSH key "${key.name}"`,
        signal: opts.signal,
      });
      return { id: String(res.ssh_key.id), name: res.ssh_key.name, fingerprint: res.ssh_key.fingerprint };
    } catch (err) {
      if (!isProviderError(err, 'uniqueness_error')) throw err;
      // Someone registered the same key meanwhile (or our own earlier attempt did): adopt it.
      const adopted = await this.#findSshKey(fingerprint, opts.signal);
      if (adopted) return adopted;
      throw new ProviderError(`An SSH key named "${key.name}" already exists with a different fingerprint`, {
        code: 'name_taken',
        status: err.status,
        apiCode: err.apiCode,
        hint: 'Choose another key name, or delete the old key in the Hetzner Console (Security → SSH keys)',
        cause: err,
      });
    }
  }

  async #findSshKey(fingerprint: string, signal?: AbortSignal): Promise<ProviderSshKey | null> {
    const keys = await this.#client.listAll({
      path: '/ssh_keys',
      key: 'ssh_keys',
      item: sshKeySchema,
      query: { fingerprint },
      what: 'look up SSH keys',
      signal,
    });
    const match = keys.find((k) => k.fingerprint === fingerprint);
    return match ? { id: String(match.id), name: match.name, fingerprint: match.fingerprint } : null;
  }

  async listServerTypes(opts: Opts = {}): Promise<ServerTypeInfo[]> {
    const types = await this.#client.listAll({
      path: '/server_types',
      key: 'server_types',
      item: serverTypeSchema,
      what: 'list server types',
      signal: opts.signal,
    });
    return types.map(toServerType);
  }

  async listLocations(opts: Opts = {}): Promise<LocationInfo[]> {
    const locations = await this.#client.listAll({
      path: '/locations',
      key: 'locations',
      item: locationSchema,
      what: 'list locations',
      signal: opts.signal,
    });
    return locations.map(toLocation);
  }

  async listImages(opts: Opts = {}): Promise<ImageInfo[]> {
    const images = await this.#client.listAll({
      path: '/images',
      key: 'images',
      item: imageSchema,
      what: 'list images',
      signal: opts.signal,
    });
    return images.map(toImage);
  }
}
