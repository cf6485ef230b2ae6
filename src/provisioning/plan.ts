import { DeckhandError } from '../errors.js';
import {
  isManagedByDeckhand,
  type Money,
  type Provider,
  type ProviderServer,
  type ServerTypeInfo,
} from '../providers/index.js';

export const DEFAULT_SERVER_TYPE = 'cx23';
export const DEFAULT_IMAGE = 'debian-12';

export interface CreateInput {
  name: string;
  server_type?: string | undefined;
  location?: string | undefined;
  image?: string | undefined;
  labels?: Record<string, string> | undefined;
  ssh_public_key_path?: string | undefined;
}

/** What create-server is about to do, as dry_run answers it and as the confirmation shows it. */
export interface CreatePlan {
  action: 'create' | 'adopt';
  name: string;
  provider: string;
  server_type: string;
  location: string;
  image: string;
  labels: Record<string, string>;
  ssh_key: { source: 'deckhand' | 'file'; public_key_path: string };
  specs?: { cores: number; memory_gb: number; disk_gb: number; architecture: string; cpu_type: string };
  price_monthly?: Money;
  price_hourly?: Money;
  /** Set when action is "adopt": the server that exists already. */
  existing?: { id: string; status: string; ipv4: string | null };
}

function choices(names: string[]): string {
  return [...new Set(names)].sort().join(', ') || '(none)';
}

/**
 * Checks the request against the provider's catalogue (so mistakes are answered before anything is created),
 * picks the location when none is given (the cheapest one where the type can be ordered now) and prices it.
 */
export async function planCreate(
  provider: Provider,
  input: CreateInput,
  sshKey: CreatePlan['ssh_key'],
  signal?: AbortSignal,
): Promise<CreatePlan> {
  const existing = await provider.findServerByName(input.name, { signal });
  if (existing) return adoptPlan(provider.name, existing, input, sshKey);
  const typeName = input.server_type ?? DEFAULT_SERVER_TYPE;
  const image = input.image ?? DEFAULT_IMAGE;
  const [types, images] = await Promise.all([provider.listServerTypes({ signal }), provider.listImages({ signal })]);
  const type = types.find((t) => t.name === typeName);
  if (!type || type.deprecated) {
    throw new DeckhandError(
      'unknown_server_type',
      `Server type "${typeName}" is not offered${type ? ' any more' : ''}.`,
      {
        hint: `Set server_type to one of: ${choices(types.filter((t) => !t.deprecated).map((t) => t.name))}.`,
      },
    );
  }
  const imageOk = images.some((i) => (i.name === image || i.id === image) && i.architecture === type.architecture);
  if (!imageOk) {
    const names = images.filter((i) => i.type === 'system' && i.architecture === type.architecture && i.name);
    throw new DeckhandError('unknown_image', `Image "${image}" does not exist for ${type.architecture} servers.`, {
      hint: `Set image to one of: ${choices(names.map((i) => i.name as string))}.`,
    });
  }
  const location = pickLocation(type, input.location);
  const price = type.prices.find((p) => p.location === location);
  return {
    action: 'create',
    name: input.name,
    provider: provider.name,
    server_type: type.name,
    location,
    image,
    labels: { ...input.labels },
    ssh_key: sshKey,
    specs: {
      cores: type.cores,
      memory_gb: type.memoryGb,
      disk_gb: type.diskGb,
      architecture: type.architecture,
      cpu_type: type.cpuType,
    },
    ...(price ? { price_monthly: price.monthly, price_hourly: price.hourly } : {}),
  };
}

function pickLocation(type: ServerTypeInfo, wanted: string | undefined): string {
  if (wanted !== undefined) {
    if (type.availableLocations.includes(wanted)) return wanted;
    const priced = type.prices.some((p) => p.location === wanted);
    throw new DeckhandError(
      priced ? 'resource_unavailable' : 'unknown_location',
      priced
        ? `Server type "${type.name}" cannot be ordered in ${wanted} right now.`
        : `Server type "${type.name}" is not offered in location "${wanted}".`,
      { hint: `Choose one of: ${choices(type.availableLocations)}, or another server_type.` },
    );
  }
  const available = type.prices.filter((p) => type.availableLocations.includes(p.location));
  const cheapest = available.sort((a, b) => a.monthly.gross - b.monthly.gross)[0];
  if (!cheapest) {
    throw new DeckhandError(
      'resource_unavailable',
      `Server type "${type.name}" cannot be ordered anywhere right now.`,
      {
        hint: 'Choose another server_type.',
      },
    );
  }
  return cheapest.location;
}

function adoptPlan(
  providerName: string,
  s: ProviderServer,
  input: CreateInput,
  sshKey: CreatePlan['ssh_key'],
): CreatePlan {
  if (!isManagedByDeckhand(s)) {
    throw new DeckhandError(
      'name_taken',
      `A server named "${s.name}" (id ${s.id}) already exists at ${providerName} and was not created by deckhand.`,
      { hint: 'Choose another name, or register that server with add-server.' },
    );
  }
  return {
    action: 'adopt',
    name: s.name,
    provider: providerName,
    server_type: s.serverType,
    location: s.location,
    image: input.image ?? DEFAULT_IMAGE,
    labels: { ...input.labels },
    ssh_key: sshKey,
    ...(s.priceMonthly ? { price_monthly: s.priceMonthly } : {}),
    existing: { id: s.id, status: s.status, ipv4: s.ipv4 },
  };
}

export function formatMoney(m: Money | undefined): string {
  return m ? `${m.gross.toFixed(2)} ${m.currency}` : 'unknown';
}
