import type { Client } from 'ssh2';
import { DeckhandError, ValidationError } from '../errors.js';
import { run } from '../ssh/exec.js';
import { shQuote } from '../ssh/shell.js';

const NAME = /^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$/;

/**
 * write-file's `owner` as numeric ids. SFTP sets owners by number only, so names ("www-data", "app:app") are looked
 * up on the server itself (getent: local files, LDAP, whatever its NSS says); "33:33" is taken as it is. A user
 * without a group takes the user's primary group, as chown does.
 */
export async function resolveOwner(client: Client, spec: string): Promise<{ uid: number; gid: number }> {
  const [user, group, extra] = spec.trim().split(':');
  if (!user || extra !== undefined || !NAME.test(user) || (group !== undefined && !NAME.test(group))) {
    throw new ValidationError(
      `owner must be "user", "user:group" or "uid:gid", got "${spec}".`,
      'For example "www-data", "app:app" or "1000:1000".',
    );
  }
  const numeric = (s: string) => /^\d+$/.test(s);
  if (numeric(user) && (group === undefined || numeric(group))) {
    if (group !== undefined) return { uid: Number(user), gid: Number(group) };
  }
  const script =
    `getent passwd ${shQuote(user)} | cut -d: -f3,4; ` +
    (group === undefined ? 'echo' : `getent group ${shQuote(group)} | cut -d: -f3`);
  const r = await run(client, script, { timeoutMs: 15_000 });
  const [pw = '', gr = ''] = r.stdout.split('\n');
  const [uid, primary] = pw.split(':');
  const gid = group === undefined ? primary : numeric(group) ? group : gr.trim();
  if (!uid) throw unknown('user', user);
  if (!gid) throw unknown('group', group ?? user);
  return { uid: Number(uid), gid: Number(gid) };
}

function unknown(kind: 'user' | 'group', name: string): DeckhandError {
  return new DeckhandError('invalid_argument', `The server knows no ${kind} "${name}" (getent finds none).`, {
    hint: `Check the name on the server (remote-bash: getent ${kind === 'user' ? 'passwd' : 'group'} ${name}), or give numeric ids "uid:gid".`,
  });
}
