import { parseCommand, stringOption } from './args.js';
import { formatTime, oneLine, table } from './format.js';
import { UsageError } from './io.js';
import type { CliContext } from './table.js';

export const GRANTS_LIST_USAGE = 'deckhand grants list [--server NAME]';
export const GRANTS_REVOKE_USAGE = 'deckhand grants revoke ID';

export async function grantsList(args: string[], { safety, io }: CliContext): Promise<number> {
  const { values } = parseCommand(args, { server: { type: 'string' } }, GRANTS_LIST_USAGE, 0);
  const grants = await safety.grants(stringOption(values, 'server'));
  if (grants.length === 0) {
    await io.print('No grants in force.\n');
    return 0;
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  const rows = grants.map((g) => [
    g.id,
    g.server,
    formatTime(iso(g.expires_at)),
    oneLine(g.granted_by, 40),
    oneLine(g.pattern, 80),
  ]);
  await io.print(table(['ID', 'SERVER', 'UNTIL', 'GRANTED BY', 'PATTERN'], rows));
  return 0;
}

export async function grantsRevoke(args: string[], { safety, io, person }: CliContext): Promise<number> {
  const { positionals } = parseCommand(args, {}, GRANTS_REVOKE_USAGE, 1);
  const id = positionals[0];
  if (id === undefined)
    throw new UsageError('Missing the grant id; `deckhand grants list` shows them.', GRANTS_REVOKE_USAGE);
  const g = await safety.revokeGrant(id, person);
  await io.print(`Revoked ${g.id} on ${g.server}: ${g.pattern}\n`);
  return 0;
}
