import type { ImageInfo, LocationInfo, Money, ProviderAction, ProviderServer, ServerTypeInfo } from '../types.js';
import type { ActionJson, ImageJson, LocationJson, ServerJson, ServerTypeJson } from './schemas.js';

/** Hetzner Cloud prices are in EUR; the API sends them as decimal strings. */
function money(price: { net: string; gross: string }): Money {
  return { net: Number(price.net), gross: Number(price.gross), currency: 'EUR' };
}

export function toServer(json: ServerJson): ProviderServer {
  const price = json.server_type.prices.find((p) => p.location === json.location.name);
  return {
    id: String(json.id),
    name: json.name,
    status: json.status,
    ipv4: json.public_net.ipv4?.ip ?? null,
    serverType: json.server_type.name,
    location: json.location.name,
    labels: { ...json.labels },
    ...(price ? { priceMonthly: money(price.price_monthly) } : {}),
    created: json.created,
  };
}

export function toAction(json: ActionJson): ProviderAction {
  return {
    id: String(json.id),
    command: json.command,
    status: json.status,
    progress: json.progress,
    ...(json.error ? { error: { code: json.error.code, message: json.error.message } } : {}),
  };
}

export function toServerType(json: ServerTypeJson): ServerTypeInfo {
  const priced = json.prices.map((p) => p.location);
  return {
    name: json.name,
    description: json.description,
    cores: json.cores,
    memoryGb: json.memory,
    diskGb: json.disk,
    architecture: json.architecture,
    cpuType: json.cpu_type,
    deprecated: json.deprecated ?? false,
    prices: json.prices.map((p) => ({
      location: p.location,
      monthly: money(p.price_monthly),
      hourly: money(p.price_hourly),
    })),
    availableLocations: json.locations ? json.locations.filter((l) => l.available).map((l) => l.name) : priced,
  };
}

export function toLocation(json: LocationJson): LocationInfo {
  return {
    name: json.name,
    description: json.description,
    city: json.city,
    country: json.country,
    networkZone: json.network_zone,
  };
}

export function toImage(json: ImageJson): ImageInfo {
  return {
    id: String(json.id),
    name: json.name,
    description: json.description,
    type: json.type,
    osFlavor: json.os_flavor,
    osVersion: json.os_version,
    architecture: json.architecture,
  };
}

/** Hetzner ids are positive integers; anything else cannot exist there. */
export function toHetznerId(id: string): number | null {
  return /^[1-9]\d{0,15}$/.test(id) ? Number(id) : null;
}
