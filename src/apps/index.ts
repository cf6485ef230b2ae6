// deploy-app, undeploy-app and list-apps: the job handlers and the service the tools call, built from the app's parts.
import { loadCatalogue } from './render/index.js';
import type { Config } from '../config.js';
import type { Inventory } from '../servers/inventory.js';
import type { JobEngine } from '../jobs/engine.js';
import type { JobHandler } from '../jobs/handler.js';
import type { JobStore } from '../jobs/store.js';
import type { SshPool } from '../ssh/pool.js';
import { AppService } from './service.js';
import { DeployAppJob } from './deploy/deploy-handler.js';
import { StackStateStore } from './deploy/state.js';
import { UndeployAppJob } from './deploy/undeploy-handler.js';

export { AppService } from './service.js';

export interface DeployFeature {
  readonly handlers: { readonly 'deploy-app': JobHandler; readonly 'undeploy-app': JobHandler };
  service(engine: JobEngine): AppService;
}

export function createDeployFeature(o: {
  config: Config;
  inventory: Inventory;
  pool: SshPool;
  store: JobStore;
}): DeployFeature {
  const catalogue = loadCatalogue();
  const states = new StackStateStore(o.config.home);
  const common = { home: o.config.home, inventory: o.inventory, pool: o.pool, store: o.store, deploy: o.config.deploy };
  return {
    handlers: {
      'deploy-app': new DeployAppJob({ ...common, catalogue, states }),
      'undeploy-app': new UndeployAppJob({ ...common, states }),
    },
    service: (engine) =>
      new AppService({ config: o.config, engine, inventory: o.inventory, pool: o.pool, catalogue, states }),
  };
}
