// setup-server: idempotent check → apply → verify steps as a job. Deploy reads where setup keeps things.
import type { Config } from '../config.js';
import type { Feature, JobKernel } from '../jobs/kernel.js';
import type { Inventory } from '../servers/index.js';
import type { SshPool } from '../ssh/pool.js';
import { SetupServerHandler } from './handler.js';
import { SetupService } from './service.js';

export { SetupService } from './service.js';
export {
  COMPONENTS,
  DECKHAND_DIR,
  SETUP_RECORD_PATH,
  STACKS_DIR,
  type Component,
  type Facts,
  type SetupParams,
  type SetupRecord,
} from './types.js';
export { TRAEFIK_VOLUME, traefikPaths } from './steps-stack.js';
export { SETUP_STEP_NAMES } from './steps.js';

export function createSetupFeature(o: {
  config: Config;
  kernel: JobKernel;
  inventory: Inventory;
  pool: SshPool;
}): Feature<SetupService> {
  return {
    handlers: {
      'setup-server': new SetupServerHandler({
        inventory: o.inventory,
        pool: o.pool,
        traefikImage: o.config.provisioning.traefikImage,
      }),
    },
    service: new SetupService(o.kernel.engine, o.inventory),
  };
}
