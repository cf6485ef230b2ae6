import type { PolicyMode, ServerPolicy } from '../policy/index.js';
import { policyView } from '../servers/index.js';
import { oneOf, parseCommand } from './args.js';
import { UsageError } from './io.js';
import type { CliContext } from './table.js';

export const SERVERS_POLICY_USAGE =
  'deckhand servers policy NAME [--mode read-only|ask|open|default] [--deny P]... [--allow P]... [--clear-deny] [--clear-allow]';

/**
 * Shows a server's policy, or changes it: a person's command, never a tool, so an assistant cannot loosen the
 * policy it runs under. --deny and --allow add patterns; --clear-* start the list afresh.
 */
export async function serversPolicy(args: string[], { servers, io }: CliContext): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    {
      mode: { type: 'string' },
      deny: { type: 'string', multiple: true },
      allow: { type: 'string', multiple: true },
      'clear-deny': { type: 'boolean' },
      'clear-allow': { type: 'boolean' },
    },
    SERVERS_POLICY_USAGE,
    1,
  );
  const name = positionals[0];
  if (name === undefined) throw new UsageError('Missing the server name.', SERVERS_POLICY_USAGE);
  const mode = oneOf(values, 'mode', ['read-only', 'ask', 'open', 'default'] as const, SERVERS_POLICY_USAGE);
  const deny = list(values['deny']);
  const allow = list(values['allow']);
  let record = await servers.get(name);
  const changing =
    mode !== undefined || deny.length > 0 || allow.length > 0 || values['clear-deny'] || values['clear-allow'];
  if (changing) {
    const old = record.policy ?? {};
    const next: ServerPolicy = {
      ...(mode === 'default'
        ? {}
        : mode !== undefined
          ? { mode: mode as PolicyMode }
          : old.mode
            ? { mode: old.mode }
            : {}),
      deny: [...new Set([...(values['clear-deny'] ? [] : (old.deny ?? [])), ...deny])],
      allow: [...new Set([...(values['clear-allow'] ? [] : (old.allow ?? [])), ...allow])],
    };
    record = await servers.setPolicy(name, {
      ...(next.mode ? { mode: next.mode } : {}),
      ...(next.deny?.length ? { deny: next.deny } : {}),
      ...(next.allow?.length ? { allow: next.allow } : {}),
    });
  }
  const v = policyView(record);
  const lines = [
    `${record.name}: ${v.mode}${v.default ? ` (default for servers ${v.default})` : ''}`,
    ...(v.deny ?? []).map((p) => `  deny   ${p}`),
    ...(v.allow ?? []).map((p) => `  allow  ${p}`),
  ];
  await io.print(`${changing ? 'Changed. ' : ''}${lines.join('\n')}\n`);
  return 0;
}

function list(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
}
