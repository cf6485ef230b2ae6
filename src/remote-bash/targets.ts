import { ValidationError } from '../errors.js';
import { matches, parseSelector, type Inventory, type ServerRecord } from '../servers/index.js';

/** Where a command runs: one server, a list of them, or the servers whose labels match a selector. */
export interface TargetSpec {
  readonly server?: string | undefined;
  readonly servers?: readonly string[] | undefined;
  readonly selector?: string | undefined;
}

/**
 * The registered servers a target names, in the order given (a selector: by name), duplicates dropped. Unknown
 * names fail before anything starts, listing the known ones; a selector that matches nothing lists the labels that
 * exist, so the caller can fix it in one go.
 */
export async function resolveTargets(inventory: Inventory, t: TargetSpec): Promise<ServerRecord[]> {
  const given = [t.server !== undefined, t.servers !== undefined, t.selector !== undefined].filter(Boolean).length;
  if (given !== 1) {
    throw new ValidationError(
      given === 0 ? 'No target: give server, servers or selector.' : 'Give only one of server, servers and selector.',
      'server: "web-1" runs on one server; servers: ["web-1", "web-2"] on several; selector: "role=web" on every server whose labels match.',
    );
  }
  const all = await inventory.list();
  if (t.server !== undefined) return [await inventory.get(t.server)];
  if (t.servers !== undefined) {
    const names = [...new Set(t.servers)];
    if (names.length === 0) throw new ValidationError('servers is empty.', 'List at least one registered server.');
    const byName = new Map(all.map((s) => [s.name, s]));
    const unknown = names.filter((n) => !byName.has(n));
    if (unknown.length) {
      const known = all.map((s) => s.name);
      throw new ValidationError(
        `Unknown server${unknown.length > 1 ? 's' : ''}: ${unknown.slice(0, 20).join(', ')}${unknown.length > 20 ? ` (and ${unknown.length - 20} more)` : ''}.`,
        known.length
          ? `Known servers: ${known.slice(0, 50).join(', ')}${known.length > 50 ? ', …' : ''}. Nothing was started.`
          : 'No servers are registered yet: add them with add-server. Nothing was started.',
      );
    }
    return names.map((n) => byName.get(n) as ServerRecord);
  }
  const reqs = parseSelector(t.selector ?? '');
  const found = all.filter((s) => matches(reqs, s.labels));
  if (found.length === 0) {
    const labels = new Map<string, Set<string>>();
    for (const s of all)
      for (const [k, v] of Object.entries(s.labels)) (labels.get(k) ?? labels.set(k, new Set()).get(k))!.add(v);
    const listed = [...labels].map(([k, vs]) => `${k}=${[...vs].slice(0, 8).join('|')}${vs.size > 8 ? '|…' : ''}`);
    throw new ValidationError(
      `selector "${t.selector}" matches none of the ${all.length} registered servers.`,
      listed.length
        ? `Labels in use: ${listed.slice(0, 30).join(', ')}. Nothing was started.`
        : 'No server has labels yet (add-server takes labels). Nothing was started.',
    );
  }
  return found;
}
