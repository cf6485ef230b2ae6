import { PUBLIC_NETWORK } from '../render/index.js';
import { DeckhandError } from '../../errors.js';
import type { RemoteShell } from '../../ssh/remote-shell.js';
import { preflightScript } from './scripts.js';

export interface PreflightFacts {
  readonly swarm: string;
  readonly network: string;
  readonly freeMb: number;
  readonly appsFreeMb: number;
  /** setup-server's record is on the server (Swarm and the network are checked directly either way). */
  readonly setUp: boolean;
}

/** Below this much free space for Docker (images, volumes) a deploy is refused before it changes anything. */
export const MIN_FREE_MB = 512;

export function parsePreflight(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1).trim();
  }
  return out;
}

/** Judges the facts: every refusal says what to do. Pure, for tests. */
export function checkPreflight(server: string, f: Record<string, string>): PreflightFacts {
  const setup = `Run setup-server {"server": "${server}"} first: it installs Docker, initialises Swarm and creates the ${PUBLIC_NETWORK} network.`;
  if (f.docker !== 'yes')
    throw new DeckhandError('docker_missing', `Docker is not installed on "${server}".`, { hint: setup });
  const [state, manager] = (f.swarm ?? '').split(' ');
  if (state !== 'active') {
    throw new DeckhandError(
      'swarm_inactive',
      `Docker Swarm is not active on "${server}" (state: ${state || 'unknown'}).`,
      { hint: setup },
    );
  }
  if (manager !== 'true') {
    throw new DeckhandError('not_a_manager', `"${server}" is a Swarm worker; stacks are deployed on a manager.`, {
      hint: 'Register and deploy to a manager node of the swarm.',
    });
  }
  if (!f.network) {
    throw new DeckhandError('network_missing', `The ${PUBLIC_NETWORK} network does not exist on "${server}".`, {
      hint: setup,
    });
  }
  if (f.network !== 'overlay true swarm') {
    throw new DeckhandError(
      'network_mismatch',
      `${PUBLIC_NETWORK} on "${server}" is "${f.network}", not an attachable swarm overlay network.`,
      { hint: `Remove it (docker network rm ${PUBLIC_NETWORK}) and run setup-server again.` },
    );
  }
  const freeMb = Math.floor(Number(f.free_kb ?? 0) / 1024);
  const appsFreeMb = Math.floor(Number(f.apps_free_kb ?? 0) / 1024);
  for (const [what, mb] of [
    ['Docker', freeMb],
    ['/opt/deckhand', appsFreeMb],
  ] as const) {
    if (mb < MIN_FREE_MB) {
      throw new DeckhandError(
        'disk_full',
        `Only ${mb} MB are free for ${what} on "${server}"; a deploy needs at least ${MIN_FREE_MB} MB.`,
        {
          hint: 'Free some space (docker system prune removes unused images) and deploy again.',
        },
      );
    }
  }
  return { swarm: f.swarm ?? '', network: f.network, freeMb, appsFreeMb, setUp: f.setup === 'yes' };
}

export async function preflight(runner: RemoteShell, server: string): Promise<PreflightFacts> {
  const r = await runner.must(preflightScript(), 'checking the server', { timeoutMs: 60_000 });
  return checkPreflight(server, parsePreflight(r.stdout));
}
