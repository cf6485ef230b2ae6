import type { KnownHostKey } from '../ssh/known-hosts.js';
import type { HostKeyPolicy, SshPool } from '../ssh/pool.js';
import type { Inventory } from './inventory.js';
import type { ServerRecord } from './types.js';

/**
 * How the pinned host key was trusted: `verified` against the fingerprint the caller gave, `known_hosts` because
 * the user's known_hosts lists it (hashed lines too), `first-use` because nothing vouched for it (trust on first use).
 */
export type Trust = 'verified' | 'known_hosts' | 'first-use';

export interface Registered {
  readonly server: ServerRecord;
  readonly trust: Trust;
  /** The known_hosts line whose key the host presented. */
  readonly knownHostsLine?: { readonly at: string; readonly hashed: boolean };
}

/** What vouches for the host key before the first connection, if anything. */
export interface TrustBasis {
  /** A fingerprint the caller gave (normalized). */
  readonly given?: string | undefined;
  /** Keys the user's known_hosts lists for the host. */
  readonly known?: readonly KnownHostKey[] | undefined;
}

/**
 * Connects once to the draft (through its bastion when it names one) to prove it works, checking the host key
 * against what vouches for it before authenticating, then stores it with the key it presented pinned.
 */
export async function probeAndAdd(
  inventory: Inventory,
  pool: SshPool,
  draft: ServerRecord,
  basis: TrustBasis,
): Promise<Registered> {
  const known = basis.given ? [] : (basis.known ?? []);
  const policy: HostKeyPolicy = basis.given
    ? { expected: basis.given }
    : known.length
      ? {
          expected: undefined,
          oneOf: known.map((k) => k.fingerprint),
          mismatch: (presented, keyType) => knownHostsMismatch(draft, known, presented, keyType),
        }
      : { expected: undefined };
  const probe = await pool.probe(draft, policy);
  const record: ServerRecord = { ...draft, host_key_fingerprint: probe.fingerprint, host_key_type: probe.keyType };
  await inventory.add(record);
  const line = known.find((k) => k.fingerprint === probe.fingerprint);
  if (basis.given) return { server: record, trust: 'verified' };
  if (line) return { server: record, trust: 'known_hosts', knownHostsLine: { at: line.at, hashed: line.hashed } };
  return { server: record, trust: 'first-use' };
}

function knownHostsMismatch(
  s: ServerRecord,
  known: readonly KnownHostKey[],
  presented: string,
  keyType: string,
): string {
  const listed = known.map((k) => `${k.fingerprint} (${k.keyType}, ${k.at})`).join('; ');
  return (
    `Host key mismatch for "${s.name}" (${s.host}:${s.port}): it presents ${presented} (${keyType}), but your known_hosts lists ${listed}; nothing was registered. ` +
    `ssh would refuse this host too. If the host was rebuilt, check its key on the console and update known_hosts (ssh-keygen -R); otherwise someone may be intercepting the connection.`
  );
}

/** "verified against the fingerprint given" and the like, for answers and the CLI. */
export function describeTrust(r: Pick<Registered, 'trust' | 'knownHostsLine'>): string {
  if (r.trust === 'verified') return 'host key verified against the fingerprint you gave';
  if (r.trust === 'known_hosts' && r.knownHostsLine) {
    return `host key matched your known_hosts (${r.knownHostsLine.at}${r.knownHostsLine.hashed ? ', a hashed entry' : ''})`;
  }
  return 'host key pinned on first use (nothing vouched for it: compare it with ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server)';
}
