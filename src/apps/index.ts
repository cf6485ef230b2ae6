// deploy-app, undeploy-app and list-apps: the catalogue and renderer (pure, catalogue/ and render/), the deploy and
// undeploy job handlers (deploy/), and the service the tools call.
import type { Config } from '../config.js';
import type { Feature, JobKernel } from '../jobs/kernel.js';
import type { Inventory } from '../servers/index.js';
import type { SshPool } from '../ssh/pool.js';
import { DeployAppHandler } from './deploy/deploy-handler.js';
import { StackStateStore } from './deploy/state.js';
import { UndeployAppHandler } from './deploy/undeploy-handler.js';
import { loadCatalogue } from './render/index.js';
import { AppService } from './service.js';

export { AppService } from './service.js';
export type { DeployResult } from './deploy/deploy-handler.js';
export type { UndeployResult } from './deploy/undeploy-handler.js';
export * from './render/index.js';

export function createAppsFeature(o: {
  config: Config;
  kernel: JobKernel;
  inventory: Inventory;
  pool: SshPool;
}): Feature<AppService> {
  const { config, kernel, inventory, pool } = o;
  const catalogue = loadCatalogue();
  // PostgreSQL mode: a stack's generated passwords must be found by whichever instance deploys it next.
  const states = new StackStateStore(
    config.home,
    kernel.stores.kind === 'postgres' ? kernel.stores.secrets : undefined,
  );
  const common = { home: config.home, inventory, pool, store: kernel.engine.store, deploy: config.deploy };
  return {
    handlers: {
      'deploy-app': new DeployAppHandler({ ...common, catalogue, states }),
      'undeploy-app': new UndeployAppHandler({ ...common, states }),
    },
    service: new AppService({ config, engine: kernel.engine, files: kernel.files, inventory, pool, catalogue, states }),
  };
}
