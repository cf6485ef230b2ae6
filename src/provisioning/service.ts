import type { Config } from '../config.js';
import { DeckhandError } from '../errors.js';
import type { Inventory } from '../servers/index.js';
import type { JobEngine } from '../jobs/engine.js';
import type { Job } from '../jobs/types.js';
import { isManagedByDeckhand, type Money, type ProviderServer } from '../providers/index.js';
import { findActiveJob, waitBriefly } from '../jobs/kit/waits.js';
import type { CreateServerParams } from './create-handler.js';
import { loginKeyFor } from './deckhand-key.js';
import type { SharedDeckhandKey } from './shared-key.js';
import { refuseUnmanaged, type DeleteServerParams } from './delete-handler.js';
import { asDeckhandError } from '../jobs/kit/errors.js';
import { planCreate, type CreateInput, type CreatePlan } from './plan.js';
import { missingProviderError, type ProviderFactory } from './provider.js';

export interface ProviderServerView {
  name: string;
  id: string;
  status: string;
  ipv4: string | null;
  server_type: string;
  location: string;
  price_monthly?: Money;
  created_by_deckhand: boolean;
  registered: boolean;
}

export interface DeletePlan {
  name: string;
  provider: string;
  provider_id: string | null;
  status: string | null;
  ipv4: string | null;
  registered: boolean;
}

const CREATE_TIMEOUT_S = 30 * 60;
const DELETE_TIMEOUT_S = 15 * 60;

/** What the create-server, delete-server and list-servers tools call. */
export class ProvisioningService {
  constructor(
    private readonly config: Config,
    private readonly engine: JobEngine,
    private readonly inventory: Inventory,
    private readonly provider: ProviderFactory | undefined,
    private readonly deckhandKey?: SharedDeckhandKey,
  ) {}

  get hasProvider(): boolean {
    return this.provider !== undefined;
  }

  /** A running create-server job for this name, which a repeated call joins. */
  activeJob(type: 'create-server' | 'delete-server', name: string): Promise<Job | undefined> {
    return findActiveJob(this.engine, type, name);
  }

  async planCreate(input: CreateInput, signal?: AbortSignal): Promise<CreatePlan> {
    const provider = this.requireProvider();
    const known = await this.inventory.find(input.name);
    if (known && !known.provider) {
      throw new DeckhandError(
        'server_exists',
        `A server named "${input.name}" is already registered (with add-server); deckhand did not create it.`,
        { hint: 'Choose another name for the new server.' },
      );
    }
    if (input.ssh_public_key_path === undefined) await this.deckhandKey?.ensure();
    const key = loginKeyFor(this.config.home, input.ssh_public_key_path);
    try {
      return await planCreate(
        provider,
        input,
        { source: input.ssh_public_key_path ? 'file' : 'deckhand', public_key_path: key.publicKeyPath },
        signal,
      );
    } catch (err) {
      throw asDeckhandError(err);
    }
  }

  /** `id`: the job's id when the caller made it beforehand (the audit log names the job before it exists). */
  submitCreate(plan: CreatePlan, input: CreateInput, id?: string): Promise<Job> {
    const params: CreateServerParams = {
      name: plan.name,
      server_type: plan.server_type,
      location: plan.location,
      image: plan.image,
      labels: plan.labels,
      // Absolute: the job may run in another deckhand process, with another working directory.
      ...(input.ssh_public_key_path ? { ssh_public_key_path: plan.ssh_key.public_key_path } : {}),
    };
    return this.engine.submit({
      ...(id ? { id } : {}),
      type: 'create-server',
      server: plan.name,
      params: { ...params },
      timeout_s: CREATE_TIMEOUT_S,
    });
  }

  /** Finds what delete-server would delete, refusing servers deckhand did not create. */
  async planDelete(name: string, signal?: AbortSignal): Promise<DeletePlan> {
    const known = await this.inventory.find(name);
    if (known && !known.provider) {
      throw new DeckhandError(
        'not_created_by_deckhand',
        `Server "${name}" was registered with add-server; deckhand did not create it, so delete-server will not destroy it.`,
        { hint: `To stop managing it, use remove-server {"name": "${name}"}; the machine itself keeps running.` },
      );
    }
    const provider = this.requireProvider();
    let s: ProviderServer | null;
    try {
      s = known?.provider
        ? await provider.getServer(String(known.provider.id), { signal })
        : await provider.findServerByName(name, { signal });
    } catch (err) {
      throw asDeckhandError(err);
    }
    if (!s && !known) {
      throw new DeckhandError(
        'unknown_server',
        `No server named "${name}" is registered or exists at ${provider.name}.`,
        {
          hint: 'list-servers shows the registered servers and, with a token, those at the provider.',
        },
      );
    }
    if (s) refuseUnmanaged(s);
    return {
      name,
      provider: provider.name,
      provider_id: s?.id ?? (known?.provider ? String(known.provider.id) : null),
      status: s?.status ?? null,
      ipv4: s?.ipv4 ?? null,
      registered: Boolean(known),
    };
  }

  submitDelete(plan: DeletePlan, id?: string): Promise<Job> {
    const params: DeleteServerParams = {
      name: plan.name,
      ...(plan.provider_id ? { provider_id: plan.provider_id } : {}),
    };
    return this.engine.submit({
      ...(id ? { id } : {}),
      type: 'delete-server',
      server: plan.name,
      params: { ...params },
      timeout_s: DELETE_TIMEOUT_S,
    });
  }

  wait(job: Job, ms: number, signal?: AbortSignal): Promise<Job> {
    return waitBriefly(this.engine, job, ms, signal);
  }

  /** Servers at the provider (all of them, marked whether deckhand created and registered them). */
  async listProviderServers(signal?: AbortSignal): Promise<ProviderServerView[]> {
    const provider = this.requireProvider();
    const [servers, registered] = await Promise.all([
      provider.listServers({ signal }).catch((err: unknown) => {
        throw asDeckhandError(err);
      }),
      this.inventory.list(),
    ]);
    const ids = new Set(
      registered.filter((r) => r.provider?.name === provider.name).map((r) => String(r.provider?.id)),
    );
    return servers
      .map((s) => ({
        name: s.name,
        id: s.id,
        status: s.status,
        ipv4: s.ipv4,
        server_type: s.serverType,
        location: s.location,
        ...(s.priceMonthly ? { price_monthly: s.priceMonthly } : {}),
        created_by_deckhand: isManagedByDeckhand(s),
        registered: ids.has(s.id),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  private requireProvider() {
    if (!this.provider) throw missingProviderError();
    return this.provider();
  }
}
