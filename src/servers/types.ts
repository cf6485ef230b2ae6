import { isProduction, type ServerPolicy } from '../policy/index.js';

/** How deckhand authenticates to a server. Secrets are never stored: only a key path or the NAME of an env variable. */
export interface ServerAuth {
  readonly private_key_path?: string | undefined;
  readonly passphrase_env?: string | undefined;
  readonly password_env?: string | undefined;
  readonly use_agent?: boolean | undefined;
}

export interface ServerRecord {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly auth: ServerAuth;
  /** The pinned host key, "SHA256:..." as `ssh-keygen -lf` prints it. */
  readonly host_key_fingerprint: string;
  readonly host_key_type?: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly added_at: string;
  /** Set when deckhand created the server at a cloud provider. */
  readonly provider?: { readonly name: string; readonly id: number | string } | undefined;
  /** Who may do what here (docs: "Safe hands"); absent: "ask" for env=prod servers, "open" for the rest. */
  readonly policy?: ServerPolicy | undefined;
  /** The registered server (a bastion) this one is reached through; that one may have a via of its own. */
  readonly via?: string | undefined;
  /** NAME of the environment variable holding the login user's sudo password (remote-bash sudo: true). */
  readonly sudo_password_env?: string | undefined;
  /** The ssh_config host it was registered from (add-server ssh_config_host, deckhand servers import). */
  readonly ssh_config_host?: string | undefined;
}

/** What tools show: no auth details beyond their kind. */
export function publicServer(s: ServerRecord) {
  return {
    name: s.name,
    host: s.host,
    port: s.port,
    user: s.user,
    host_key_fingerprint: s.host_key_fingerprint,
    labels: { ...s.labels },
    ...(s.provider ? { provider: { ...s.provider } } : {}),
    ...(s.via ? { via: s.via } : {}),
    ...(s.sudo_password_env ? { sudo_password_env: s.sudo_password_env } : {}),
    policy: policyView(s),
  };
}

/** A server's policy as tools and the CLI show it: the mode in force (with where it comes from) and its patterns. */
export function policyView(s: Pick<ServerRecord, 'policy' | 'labels'>) {
  const prod = isProduction(s.labels);
  return {
    mode: s.policy?.mode ?? (prod ? 'ask' : 'open'),
    ...(s.policy?.mode ? {} : { default: prod ? 'env=prod' : 'not env=prod' }),
    ...(s.policy?.deny?.length ? { deny: [...s.policy.deny] } : {}),
    ...(s.policy?.allow?.length ? { allow: [...s.policy.allow] } : {}),
  };
}
