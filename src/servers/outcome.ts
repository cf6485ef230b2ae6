import type { HopOutcome } from './jump-chain.js';
import type { Trust } from './register.js';
import type { ServerRecord } from './types.js';

// Its own module so that import.ts (which service.ts uses) can name it without importing service.ts back.
export interface AddServerOutcome {
  readonly server: ServerRecord;
  readonly trust: Trust;
  readonly known_hosts?: { readonly at: string; readonly hashed: boolean };
  /** With ssh_config_host: where host, port, user and key came from ("HostName, ~/.ssh/config line 4", "given" ...). */
  readonly sources?: Readonly<Record<string, string>>;
  /** With a ProxyJump chain: the jump hosts in front of it, registered now or reused. */
  readonly hops?: readonly HopOutcome[];
  readonly notes?: readonly string[];
}
