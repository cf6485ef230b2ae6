/** How deckhand authenticates to a host. Secrets are never here: only a key path or the NAME of an env variable. */
export interface SshAuth {
  readonly private_key_path?: string | undefined;
  readonly passphrase_env?: string | undefined;
  readonly password_env?: string | undefined;
  readonly use_agent?: boolean | undefined;
}

/**
 * What the pool needs to reach a host: the inventory's ServerRecord fits as it is (structural typing), so can a
 * bastion built from an ssh_config ProxyJump hop. Connections are pooled by `name`.
 */
export interface ConnectionTarget {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly auth: SshAuth;
  /** The pinned host key ("SHA256:…"); '' accepts any key (only add-server's first probe should need that). */
  readonly host_key_fingerprint: string;
  /**
   * The bastion to go through: its target, or its name for the pool's `resolveVia` to look up (as an inventory
   * record names another registered server). The bastion may have a `via` of its own, up to MAX_HOPS in all.
   */
  readonly via?: ConnectionTarget | string | undefined;
}

/** Bastions in front of one target at most (ProxyJump chains longer than this are refused). */
export const MAX_HOPS = 3;

/** "user@host:port (server "name")", the way every connection message names a target. */
export function describeTarget(t: Pick<ConnectionTarget, 'name' | 'host' | 'port' | 'user'>): string {
  return `${t.user}@${t.host}:${t.port} (server "${t.name}")`;
}
