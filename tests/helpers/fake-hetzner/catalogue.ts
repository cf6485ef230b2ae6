/*
 * The fake's fixed catalogue, shaped like Hetzner's real one (names, ids and availability as of 2026):
 * ARM (cax) and cx types only in the EU, cpx22 sold out in Singapore, one deprecated type, images per
 * architecture under the same name. Prices are plausible, not Hetzner's current list.
 */

export interface FakeLocation {
  id: number;
  name: string;
  description: string;
  country: string;
  city: string;
  latitude: number;
  longitude: number;
  network_zone: string;
  datacenter: { id: number; name: string; description: string };
}

export const LOCATIONS: FakeLocation[] = [
  loc(1, 'fsn1', 'Falkenstein DC Park 1', 'DE', 'Falkenstein', 50.47612, 12.370071, 'eu-central', 4, 'fsn1-dc14'),
  loc(2, 'nbg1', 'Nuremberg DC Park 1', 'DE', 'Nuremberg', 49.452102, 11.076665, 'eu-central', 2, 'nbg1-dc3'),
  loc(3, 'hel1', 'Helsinki DC Park 1', 'FI', 'Helsinki', 60.169855, 24.938379, 'eu-central', 3, 'hel1-dc2'),
  loc(4, 'ash', 'Ashburn, VA', 'US', 'Ashburn, VA', 39.045821, -77.487073, 'us-east', 5, 'ash-dc1'),
  loc(5, 'hil', 'Hillsboro, OR', 'US', 'Hillsboro, OR', 45.54222, -122.95194, 'us-west', 6, 'hil-dc1'),
  loc(6, 'sin', 'Singapore', 'SG', 'Singapore', 1.283333, 103.833333, 'ap-southeast', 7, 'sin-dc1'),
];

function loc(
  id: number,
  name: string,
  description: string,
  country: string,
  city: string,
  latitude: number,
  longitude: number,
  network_zone: string,
  dcId: number,
  dcName: string,
): FakeLocation {
  return {
    id,
    name,
    description,
    country,
    city,
    latitude,
    longitude,
    network_zone,
    datacenter: { id: dcId, name: dcName, description: `${city} virtual DC` },
  };
}

export interface FakeServerType {
  id: number;
  name: string;
  description: string;
  cores: number;
  memory: number;
  disk: number;
  cpu_type: 'shared' | 'dedicated';
  architecture: 'x86' | 'arm';
  category: string;
  deprecated: boolean;
  /** Net monthly price in EUR per offered location. */
  monthly: Record<string, number>;
  /** Offered locations where it is sold out right now (412 resource_unavailable). */
  soldOut: string[];
}

const EU = ['fsn1', 'nbg1', 'hel1'];
const ALL = LOCATIONS.map((l) => l.name);
const each = (names: string[], price: number, us = price) =>
  Object.fromEntries(names.map((n) => [n, EU.includes(n) ? price : us]));

export const SERVER_TYPES: FakeServerType[] = [
  type(22, 'cx22', 2, 4, 40, 'shared', 'x86', 'cost_optimized', each(EU, 3.79), [], true),
  type(104, 'cx23', 2, 4, 40, 'shared', 'x86', 'cost_optimized', each(EU, 3.49)),
  type(108, 'cpx22', 2, 4, 80, 'shared', 'x86', 'regular_purpose', each(ALL, 6.49, 7.99), ['sin']),
  type(112, 'cpx32', 4, 8, 160, 'shared', 'x86', 'regular_purpose', each(ALL, 11.99, 13.99)),
  type(45, 'cax11', 2, 4, 40, 'shared', 'arm', 'cost_optimized', each(EU, 3.79)),
  type(96, 'ccx13', 2, 8, 80, 'dedicated', 'x86', 'general_purpose', each(ALL, 12.49, 14.49)),
];

function type(
  id: number,
  name: string,
  cores: number,
  memory: number,
  disk: number,
  cpu_type: 'shared' | 'dedicated',
  architecture: 'x86' | 'arm',
  category: string,
  monthly: Record<string, number>,
  soldOut: string[] = [],
  deprecated = false,
): FakeServerType {
  return {
    id,
    name,
    description: name.toUpperCase(),
    cores,
    memory,
    disk,
    cpu_type,
    architecture,
    category,
    deprecated,
    monthly,
    soldOut,
  };
}

export interface FakeImage {
  id: number;
  name: string;
  description: string;
  os_flavor: 'debian' | 'ubuntu';
  os_version: string;
  architecture: 'x86' | 'arm';
  created: string;
}

export const IMAGES: FakeImage[] = [
  img(114690387, 'debian-12', 'Debian 12', 'debian', '12', 'x86', '2023-06-13T06:00:02+00:00'),
  img(114690389, 'debian-12', 'Debian 12', 'debian', '12', 'arm', '2023-06-13T06:00:07+00:00'),
  img(245394510, 'debian-13', 'Debian 13', 'debian', '13', 'x86', '2025-08-11T06:00:03+00:00'),
  img(245394512, 'debian-13', 'Debian 13', 'debian', '13', 'arm', '2025-08-11T06:00:08+00:00'),
  img(161547269, 'ubuntu-24.04', 'Ubuntu 24.04', 'ubuntu', '24.04', 'x86', '2024-04-25T13:26:27+00:00'),
  img(161547270, 'ubuntu-24.04', 'Ubuntu 24.04', 'ubuntu', '24.04', 'arm', '2024-04-25T13:26:35+00:00'),
  img(67794396, 'ubuntu-22.04', 'Ubuntu 22.04', 'ubuntu', '22.04', 'x86', '2022-04-21T13:32:38+00:00'),
];

function img(
  id: number,
  name: string,
  description: string,
  os_flavor: 'debian' | 'ubuntu',
  os_version: string,
  architecture: 'x86' | 'arm',
  created: string,
): FakeImage {
  return { id, name, description, os_flavor, os_version, architecture, created };
}

/** 20 TB in the EU, 1 TB elsewhere, as Hetzner includes with its cloud servers. */
export function includedTraffic(location: string): number {
  return (EU.includes(location) ? 20 : 1) * 1024 ** 4;
}

/** Resolves "by ID or name" the way the API does for create requests. */
export function findByIdOrName<T extends { id: number; name: string }>(items: T[], ref: string): T | undefined {
  return items.find((i) => String(i.id) === ref || i.name === ref);
}
