import type { Writable } from 'node:stream';
import type { Config } from '../config.js';
import { Inventory } from '../inventory/inventory.js';

/** Human CLI commands that read the same DECKHAND_HOME as a running server. */
export async function runCliCommand(config: Config, argv: string[], out: Writable, err: Writable): Promise<number> {
  const [group, sub] = argv;
  if (group === 'servers' && (sub === 'list' || sub === undefined)) {
    const servers = await new Inventory(config.home).list();
    if (servers.length === 0) out.write('No servers registered.\n');
    for (const s of servers) out.write(`${s.name}\t${s.user}@${s.host}:${s.port}\t${s.host_key_fingerprint}\n`);
    return 0;
  }
  err.write(`Unknown command: deckhand ${argv.join(' ')}. See deckhand --help.\n`);
  return 2;
}
