// create-server and delete-server at a cloud provider, as jobs; the provider itself is a leaf (src/providers).
import type { Config } from '../config.js';
import type { Feature, JobKernel } from '../jobs/kernel.js';
import type { Inventory } from '../servers/index.js';
import type { SshPool } from '../ssh/pool.js';
import { CreateServerHandler } from './create-handler.js';
import { DeleteServerHandler } from './delete-handler.js';
import { hetznerFactory } from './provider.js';
import { ProvisioningService } from './service.js';
import { SharedDeckhandKey } from './shared-key.js';

export { ProvisioningService } from './service.js';
export { HOST_KEY_LABEL } from './host-key-label.js';
export { formatMoney, type CreatePlan } from './plan.js';
// The label deckhand puts on what it creates at the provider: the tools show it, the provider (a leaf) defines it.
export { MANAGED_BY_LABEL } from '../providers/index.js';

export function createProvisioningFeature(o: {
  config: Config;
  kernel: JobKernel;
  inventory: Inventory;
  pool: SshPool;
}): Feature<ProvisioningService> & { start(): Promise<void> } {
  const { config, inventory, pool } = o;
  const provider = hetznerFactory(config.provisioning);
  const stores = o.kernel.stores;
  const deckhandKey = new SharedDeckhandKey(config.home, stores.kind === 'postgres' ? stores.secrets : undefined);
  return {
    handlers: {
      'create-server': new CreateServerHandler({ home: config.home, inventory, pool, provider, deckhandKey }),
      'delete-server': new DeleteServerHandler({ inventory, pool, provider }),
    },
    service: new ProvisioningService(config, o.kernel.engine, inventory, provider, deckhandKey),
    /** Servers made through another instance are reached with the key they were made with. */
    start: () => deckhandKey.pull(),
  };
}
