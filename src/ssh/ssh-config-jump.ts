import { DeckhandError } from '../errors.js';
import { resolveSshConfig, type SshConfigHost, type SshConfigOptions } from './ssh-config.js';

/**
 * The bastions in front of a host, first hop first, each resolved through the config in turn as ssh does for
 * `-J a,b`: a hop's `user@` and `:port` override its config; the first hop's own ProxyJump is followed (ssh reaches
 * it with a plain `ssh -W`), while later hops are reached through the hops before them whatever their config says.
 * Refuses chains longer than `maxHops` (which also stops a host that names itself).
 */
export async function resolveJumpChain(
  target: SshConfigHost,
  opts: SshConfigOptions = {},
  maxHops = 3,
): Promise<SshConfigHost[]> {
  const chain: SshConfigHost[] = [];
  let specs = target.proxyJump;
  for (;;) {
    const resolved: SshConfigHost[] = [];
    for (const spec of specs) {
      const r = await resolveSshConfig(spec.host, opts);
      resolved.push({ ...r, user: spec.user ?? r.user, port: spec.port ?? r.port });
    }
    chain.unshift(...resolved);
    if (chain.length > maxHops) {
      throw new DeckhandError(
        'too_many_jumps',
        `Reaching "${target.alias}" takes more than ${maxHops} jump hosts (${chain.map((h) => h.alias).join(' → ')} …).`,
        { hint: `Check the ProxyJump lines for a loop; deckhand goes through at most ${maxHops} bastions.` },
      );
    }
    const first = resolved[0];
    if (!first || first.proxyJump.length === 0) break;
    specs = first.proxyJump;
  }
  return chain;
}
