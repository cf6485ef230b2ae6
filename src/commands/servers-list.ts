import { parseCommand } from './args.js';
import type { CliContext } from './table.js';

export const SERVERS_LIST_USAGE = 'deckhand servers list';

export async function serversList(args: string[], { servers, io }: CliContext): Promise<number> {
  parseCommand(args, {}, SERVERS_LIST_USAGE, 0);
  const list = await servers.list();
  if (list.length === 0) await io.print('No servers registered.\n');
  for (const s of list) {
    const via = s.via ? ` via ${s.via}` : '';
    await io.print(`${s.name}\t${s.user}@${s.host}:${s.port}${via}\t${s.host_key_fingerprint}\n`);
  }
  return 0;
}
