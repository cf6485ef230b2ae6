// Registered servers: the inventory (names, addresses, pinned host keys, labels) and add/list/remove.
import type { Config } from '../config.js';
import type { Feature, JobKernel } from '../jobs/kernel.js';
import type { InventoryStore } from '../jobs/store/contract.js';
import type { SshPool } from '../ssh/pool.js';
import { Inventory } from './inventory.js';
import { ServerService } from './service.js';
import type { ServerRecord } from './types.js';

export { Inventory } from './inventory.js';
export { matches, parseSelector, type Requirement } from './selector.js';
export type { AddServerOutcome } from './outcome.js';
export { ServerService, type AddServerInput } from './service.js';
export type { ImportInput, ImportResult } from './import.js';
export type { HopOutcome } from './jump-chain.js';
export { describeTrust, type Trust } from './register.js';
export { policyView, publicServer, type ServerAuth, type ServerRecord } from './types.js';

export interface ServersFeature extends Feature<ServerService> {
  readonly inventory: Inventory;
}

export function createServersFeature(o: {
  config: Config;
  kernel: JobKernel;
  pool: SshPool;
  env: NodeJS.ProcessEnv;
}): ServersFeature {
  // The store keeps records whole and checks only their name; their shape is this feature's.
  const inventory = new Inventory(o.kernel.stores.inventory as InventoryStore<ServerRecord>);
  const service = new ServerService(inventory, o.pool, { sshConfigFile: o.config.files.sshConfigFile, env: o.env });
  return { handlers: {}, inventory, service };
}
