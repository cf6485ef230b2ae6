import { DeckhandError } from '../errors.js';
import type { SshPool } from '../ssh/pool.js';
import type { HostPlan } from './from-ssh-config.js';
import type { Inventory } from './inventory.js';
import { probeAndAdd, type Trust } from './register.js';
import type { ServerRecord } from './types.js';

/** One jump host of a ProxyJump chain as add-server reports it. */
export interface HopOutcome {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** false: an already registered server was reused, its pinned key kept. */
  readonly registered: boolean;
  readonly trust?: Trust;
  readonly known_hosts?: { readonly at: string; readonly hashed: boolean };
}

export interface ChainOutcome {
  /** The last hop's server name: what the target's `via` names. */
  readonly via: string | undefined;
  readonly hops: readonly HopOutcome[];
  /** Removes the hops this call registered (the target could not be registered after all). */
  undo(): Promise<void>;
}

/**
 * Makes every hop of a ProxyJump chain a registered server, first hop first, each reached through the one before
 * (its `via`), so the pool connects through the bastions' own pooled connections and checks every hop's key.
 *
 * How a hop becomes a server: a registered server with the same address, user and bastion is reused whatever its
 * name (its pinned key stays); otherwise the hop is registered under its alias as a slug, its key taken from
 * known_hosts or on first use, like any add-server. A different server already holding that name is a conflict
 * the user resolves (register the hop under another name and give `via`), never silently overwritten.
 */
export async function registerJumpChain(
  inventory: Inventory,
  pool: SshPool,
  hops: readonly HostPlan[],
  targetName: string,
  now: () => Date,
): Promise<ChainOutcome> {
  const added: string[] = [];
  const out: HopOutcome[] = [];
  const undo = async () => {
    for (const name of added.reverse()) {
      await inventory.remove(name);
      pool.forget(name);
    }
  };
  let via: string | undefined;
  try {
    for (const hop of hops) {
      const same = (await inventory.list()).find(
        (s) => s.host === hop.host && s.port === hop.port && s.user === hop.user && s.via === via,
      );
      if (same) {
        out.push({ name: same.name, host: same.host, port: same.port, user: same.user, registered: false });
        via = same.name;
        continue;
      }
      const taken = await inventory.find(hop.name);
      if (taken) throw nameConflict(hop, taken, targetName);
      const draft: ServerRecord = {
        name: hop.name,
        host: hop.host,
        port: hop.port,
        user: hop.user,
        auth: hop.auth,
        host_key_fingerprint: '',
        labels: {},
        added_at: now().toISOString(),
        ssh_config_host: hop.alias,
        ...(via ? { via } : {}),
      };
      const r = await probeAndAdd(inventory, pool, draft, { known: hop.knownKeys });
      added.push(r.server.name);
      out.push({
        name: r.server.name,
        host: hop.host,
        port: hop.port,
        user: hop.user,
        registered: true,
        trust: r.trust,
        ...(r.knownHostsLine ? { known_hosts: r.knownHostsLine } : {}),
      });
      via = r.server.name;
    }
  } catch (err) {
    await undo();
    throw err;
  }
  return { via, hops: out, undo };
}

function nameConflict(hop: HostPlan, taken: ServerRecord, target: string): DeckhandError {
  return new DeckhandError(
    'server_exists',
    `The jump host "${hop.alias}" on the way to "${target}" (${hop.user}@${hop.host}:${hop.port}) would be registered as "${hop.name}", ` +
      `but a different server has that name (${taken.user}@${taken.host}:${taken.port}${taken.via ? ` via ${taken.via}` : ''}).`,
    {
      hint: `Register the jump host under another name (add-server), then add "${target}" with via set to that name.`,
    },
  );
}
