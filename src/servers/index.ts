// Registered servers: the inventory (names, addresses, pinned host keys, labels) and add/list/remove.
import type { Config } from '../config.js';
import type { Feature } from '../jobs/kernel.js';
import type { SshPool } from '../ssh/pool.js';
import { Inventory } from './inventory.js';
import { ServerService } from './service.js';

export { Inventory } from './inventory.js';
export { ServerService, type AddServerInput, type AddServerOutcome } from './service.js';
export { publicServer, type ServerAuth, type ServerRecord } from './types.js';

export interface ServersFeature extends Feature<ServerService> {
  readonly inventory: Inventory;
}

export function createServersFeature(o: { config: Pick<Config, 'home'>; pool: SshPool }): ServersFeature {
  const inventory = new Inventory(o.config.home);
  return { handlers: {}, inventory, service: new ServerService(inventory, o.pool) };
}
