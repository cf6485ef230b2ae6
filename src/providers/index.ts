// The surface the tool and job layers use; everything else in src/providers is internal.
export type * from './types.js';
export {
  ProviderError,
  CreateOutcomeUnknownError,
  ActionFailedError,
  isProviderError,
  type ProviderErrorCode,
} from './errors.js';
export {
  createOrAdoptServer,
  isManagedByDeckhand,
  MANAGED_BY_LABEL,
  type CreateOrAdoptResult,
} from './create-or-adopt.js';
export { generateHostKeyPair, renderCloudInit, type HostKeyPair } from './cloud-init.js';
export { md5Fingerprint, sha256Fingerprint } from './ssh-key-fingerprint.js';
export { HetznerProvider, type HetznerProviderOptions } from './hetzner/hetzner-provider.js';
export { hetznerConfigFromEnv, DEFAULT_HETZNER_ENDPOINT, type HetznerConfig } from './hetzner/client.js';
