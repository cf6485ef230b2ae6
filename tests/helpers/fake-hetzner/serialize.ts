import {
  IMAGES,
  includedTraffic,
  LOCATIONS,
  SERVER_TYPES,
  type FakeImage,
  type FakeLocation,
  type FakeServerType,
} from './catalogue.js';
import type { FakeAction, FakeServer, FakeSshKey } from './state.js';

/* JSON bodies exactly as the OpenAPI description shapes them (checked by the conformance test). */

const VAT = 1.19;
const HOURS_PER_MONTH = 730;

function amount(n: number): string {
  return n.toFixed(10);
}

function price(net: number) {
  return { net: amount(net), gross: amount(net * VAT) };
}

export function serverTypeJson(t: FakeServerType) {
  const offered = Object.keys(t.monthly);
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    cores: t.cores,
    memory: t.memory,
    disk: t.disk,
    deprecated: t.deprecated,
    prices: offered.map((location) => ({
      location,
      price_hourly: price((t.monthly[location] ?? 0) / HOURS_PER_MONTH),
      price_monthly: price(t.monthly[location] ?? 0),
      included_traffic: includedTraffic(location),
      price_per_tb_traffic: price(1),
    })),
    storage_type: 'local' as const,
    cpu_type: t.cpu_type,
    category: t.category,
    architecture: t.architecture,
    deprecation: t.deprecated
      ? { announced: '2025-10-16T00:00:00+00:00', unavailable_after: '2026-01-16T00:00:00+00:00' }
      : null,
    locations: offered.map((name) => ({
      id: LOCATIONS.find((l) => l.name === name)?.id ?? 0,
      name,
      deprecation: null,
      recommended: !t.deprecated,
      available: !t.deprecated && !t.soldOut.includes(name),
    })),
  };
}

export function locationJson(l: FakeLocation) {
  const { datacenter: _dc, ...rest } = l;
  return rest;
}

export function datacenterJson(l: FakeLocation) {
  const here = SERVER_TYPES.filter((t) => l.name in t.monthly);
  return {
    id: l.datacenter.id,
    name: l.datacenter.name,
    description: l.datacenter.description,
    location: locationJson(l),
    server_types: {
      supported: here.map((t) => t.id),
      available: here.filter((t) => !t.deprecated && !t.soldOut.includes(l.name)).map((t) => t.id),
      available_for_migration: here.map((t) => t.id),
    },
  };
}

export function imageJson(i: FakeImage) {
  return {
    id: i.id,
    type: 'system' as const,
    status: 'available' as const,
    name: i.name,
    description: i.description,
    image_size: null,
    disk_size: 5,
    created: i.created,
    created_from: null,
    bound_to: null,
    os_flavor: i.os_flavor,
    os_version: i.os_version,
    rapid_deploy: true,
    protection: { delete: false },
    deprecated: null,
    deleted: null,
    labels: {},
    architecture: i.architecture,
  };
}

export function actionJson(a: FakeAction) {
  return {
    id: a.id,
    command: a.command,
    status: a.status,
    started: a.started.toISOString(),
    finished: a.finished ? a.finished.toISOString() : null,
    progress: a.progress,
    resources: [{ id: a.resourceId, type: a.resourceType }],
    error: a.error ?? null,
  };
}

export function serverJson(s: FakeServer) {
  const type = SERVER_TYPES.find((t) => t.name === s.serverType);
  const location = LOCATIONS.find((l) => l.name === s.location);
  const image = IMAGES.find((i) => i.id === s.imageId);
  if (!type || !location || !image) throw new Error(`fake-hetzner: server ${s.id} refers to a missing catalogue entry`);
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    created: s.created.toISOString(),
    public_net: {
      ipv4: { id: s.id + 100_000, ip: s.ipv4, blocked: false, dns_ptr: `static.${s.ipv4}.clients.your-server.de` },
      ipv6: { id: s.id + 200_000, ip: `2001:db8:${s.id.toString(16)}::/64`, blocked: false, dns_ptr: [] },
      floating_ips: [],
      firewalls: [],
    },
    private_net: [],
    server_type: serverTypeJson(type),
    datacenter: datacenterJson(location),
    location: locationJson(location),
    image: imageJson(image),
    iso: null,
    rescue_enabled: false,
    locked: false,
    backup_window: null,
    outgoing_traffic: 0,
    ingoing_traffic: 0,
    included_traffic: includedTraffic(location.name),
    protection: { delete: false, rebuild: false },
    labels: { ...s.labels },
    volumes: [],
    load_balancers: [],
    primary_disk_size: type.disk,
    placement_group: null,
  };
}

export function sshKeyJson(k: FakeSshKey) {
  return {
    id: k.id,
    name: k.name,
    fingerprint: k.fingerprint,
    public_key: k.publicKey,
    labels: { ...k.labels },
    created: k.created.toISOString(),
  };
}
