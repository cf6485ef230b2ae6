import path from 'node:path';
import { describeTrust, type ImportResult } from '../servers/index.js';
import { parseCommand, stringOption } from './args.js';
import { CliError } from './io.js';
import type { CliContext } from './table.js';

export const SERVERS_IMPORT_USAGE = 'deckhand servers import [--from FILE] [PATTERN]';

/**
 * Registers the hosts of an ssh config (default ~/.ssh/config, or DECKHAND_SSH_CONFIG) whose Host names match
 * PATTERN (ssh's wildcards; default all), each as add-server with ssh_config_host does. Exit 1 when one failed.
 */
export async function serversImport(args: string[], { servers, io }: CliContext): Promise<number> {
  const { values, positionals } = parseCommand(args, { from: { type: 'string' } }, SERVERS_IMPORT_USAGE, 1);
  const from = stringOption(values, 'from');
  const input = {
    ...(from ? { file: path.resolve(from) } : {}),
    ...(positionals[0] ? { pattern: positionals[0] } : {}),
  };
  const results = await servers.importSshConfig(input, (r) => io.print(line(r)));
  const count = (s: ImportResult['status']) => results.filter((r) => r.status === s).length;
  if (results.length === 0) {
    throw new CliError(
      `No concrete Host in ${from ?? 'the ssh config'} matches ${positionals[0] ? `"${positionals[0]}"` : 'anything'} (wildcard Host lines are not servers).`,
    );
  }
  await io.print(
    `${results.length} host${results.length === 1 ? '' : 's'}: ${count('registered')} registered, ${count('skipped')} skipped, ${count('failed')} failed.\n`,
  );
  return count('failed') > 0 ? 1 : 0;
}

function line(r: ImportResult): string {
  if (r.status !== 'registered') return `${r.host}\t${r.status}\t${r.reason}\n`;
  const o = r.outcome;
  const s = o.server;
  const head = `${r.host}\tregistered\t"${s.name}" ${s.user}@${s.host}:${s.port}${s.via ? ` via "${s.via}"` : ''}: ${describeTrust(
    {
      trust: o.trust,
      ...(o.known_hosts ? { knownHostsLine: o.known_hosts } : {}),
    },
  )}\n`;
  const hops = (o.hops ?? [])
    .filter((h) => h.registered)
    .map((h) => `\tjump host "${h.name}" ${h.user}@${h.host}:${h.port} registered too\n`);
  return head + hops.join('');
}
