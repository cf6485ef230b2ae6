import type { Client, ClientChannel } from 'ssh2';
import { DeckhandError } from '../errors.js';
import { describeTarget, MAX_HOPS, type ConnectionTarget } from './target.js';

/** Connection-level failures mean the bastion is down or unreachable; anything else keeps its code, now placed. */
const UNREACHABLE = new Set([
  'connection_refused',
  'dns_failure',
  'host_unreachable',
  'connect_timeout',
  'connection_lost',
]);

export function bastionError(err: unknown, bastion: ConnectionTarget, target: ConnectionTarget): DeckhandError {
  const e = err instanceof DeckhandError ? err : new DeckhandError('ssh_error', String(err), { cause: err });
  if (e.code === 'bastion_unreachable' || e.code === 'shutting_down') return e;
  const where = `bastion ${describeTarget(bastion)}, on the way to server "${target.name}"`;
  if (UNREACHABLE.has(e.code)) {
    return new DeckhandError('bastion_unreachable', `Cannot reach ${where}: ${e.message}`, {
      hint: `The bastion is down or unreachable, so "${target.name}" was not tried. ${e.hint ?? ''}`.trim(),
      cause: err,
    });
  }
  return new DeckhandError(e.code, `At ${where}: ${e.message}`, { ...(e.hint ? { hint: e.hint } : {}), cause: err });
}

export function forwardError(err: unknown, bastion: ConnectionTarget, target: ConnectionTarget): DeckhandError {
  const msg = (err as Error | undefined)?.message ?? String(err);
  const reason = (err as { reason?: number } | undefined)?.reason;
  const hop = `bastion "${bastion.name}" could not open a connection to ${target.host}:${target.port} (server "${target.name}")`;
  if (/not connected|no response|closed/i.test(msg)) {
    return new DeckhandError(
      'bastion_unreachable',
      `The connection to bastion ${describeTarget(bastion)} dropped on the way to server "${target.name}".`,
      {
        hint: 'Try again; if it keeps failing, check the bastion.',
        cause: err,
      },
    );
  }
  if (reason === 1 || /prohibited/i.test(msg)) {
    return new DeckhandError('forwarding_refused', `The ${hop}: the bastion does not allow forwarding (${msg}).`, {
      hint: `Allow TCP forwarding for user "${bastion.user}" on the bastion (sshd_config: AllowTcpForwarding yes, PermitOpen).`,
      cause: err,
    });
  }
  return new DeckhandError('connection_refused', `The ${hop}: ${msg}.`, {
    hint: `The bastion is up; check that sshd runs on "${target.name}" and listens on ${target.host}:${target.port} as seen from the bastion.`,
    cause: err,
  });
}

/** A direct-tcpip channel from the bastion to host:port. */
export function forwardOut(client: Client, host: string, port: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.forwardOut('127.0.0.1', 0, host, port, (err, channel) => (err ? reject(err) : resolve(channel)));
    } catch (err) {
      reject(err);
    }
  });
}

/**
 * The bastion directly in front of a target (undefined: connect directly), after checking the whole chain:
 * at most MAX_HOPS bastions (which also stops a loop), each `via` name known to `resolveVia`.
 */
export function bastionFor(
  target: ConnectionTarget,
  resolveVia: ((name: string) => ConnectionTarget | undefined) | undefined,
): ConnectionTarget | undefined {
  const resolve = (t: ConnectionTarget): ConnectionTarget | undefined => {
    if (t.via === undefined || typeof t.via !== 'string') return t.via;
    const found = resolveVia?.(t.via);
    if (!found) {
      throw new DeckhandError(
        'bastion_unknown',
        `Server "${t.name}" goes through bastion "${t.via}", which deckhand does not know.`,
        { hint: `Register "${t.via}" with add-server first, or change the via of "${t.name}".` },
      );
    }
    return found;
  };
  const hops: string[] = [];
  const first = resolve(target);
  for (let t: ConnectionTarget | undefined = first; t; t = resolve(t)) {
    hops.push(t.name);
    if (hops.length > MAX_HOPS) {
      throw new DeckhandError(
        'too_many_jumps',
        `Server "${target.name}" is reached through more than ${MAX_HOPS} bastions (${hops.join(' → ')} …).`,
        { hint: `Check the via settings for a loop; deckhand goes through at most ${MAX_HOPS} bastions.` },
      );
    }
  }
  return first;
}
