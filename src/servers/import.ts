import { errorMessage } from '../errors.js';
import { listSshConfigHosts } from '../ssh/ssh-config.js';
import { matchPatternList } from '../ssh/ssh-config-match.js';
import { serverNameFor } from './from-ssh-config.js';
import type { AddServerOutcome } from './outcome.js';
import type { ServerRecord } from './types.js';

export interface ImportInput {
  /** The ssh config to read (default: DECKHAND_SSH_CONFIG, else ~/.ssh/config). */
  readonly file?: string | undefined;
  /** Host names to take, as ssh matches them: wildcards `*` `?`, comma lists, `!` to leave out (default all). */
  readonly pattern?: string | undefined;
}

export type ImportResult =
  | { readonly host: string; readonly status: 'registered'; readonly outcome: AddServerOutcome }
  | { readonly host: string; readonly status: 'skipped' | 'failed'; readonly name?: string; readonly reason: string };

export interface ImportDeps {
  readonly options: (file?: string) => { file?: string; env: NodeJS.ProcessEnv };
  readonly find: (name: string) => Promise<ServerRecord | undefined>;
  readonly add: (alias: string) => Promise<AddServerOutcome>;
}

/**
 * Registers every concrete Host of an ssh config that matches the pattern, one after the other, each as add-server
 * with ssh_config_host would (so jump hosts are registered on the way, and a host already registered as one is
 * skipped when its turn comes). One failure does not stop the rest; each host's result is reported as it comes.
 */
export async function importSshConfig(
  deps: ImportDeps,
  input: ImportInput,
  onResult: (r: ImportResult) => void | Promise<void>,
): Promise<ImportResult[]> {
  const hosts = await listSshConfigHosts(deps.options(input.file));
  const pattern = input.pattern ?? '*';
  const results: ImportResult[] = [];
  const report = async (r: ImportResult) => {
    results.push(r);
    await onResult(r);
  };
  for (const { name: alias } of hosts) {
    if (matchPatternList(alias, pattern, true) !== 1) continue;
    let name: string | undefined;
    try {
      name = serverNameFor(alias);
      const existing = await deps.find(name);
      if (existing) {
        const reason =
          existing.ssh_config_host === alias
            ? 'already registered'
            : `a server named "${name}" is already registered (${existing.user}@${existing.host}:${existing.port})`;
        await report({ host: alias, status: 'skipped', name, reason });
        continue;
      }
      await report({ host: alias, status: 'registered', outcome: await deps.add(alias) });
    } catch (err) {
      await report({ host: alias, status: 'failed', ...(name ? { name } : {}), reason: errorMessage(err) });
    }
  }
  return results;
}
