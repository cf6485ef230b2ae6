/**
 * Host keys from OpenSSH known_hosts files, so a server's fingerprint can be pinned from what the user already
 * trusts instead of on first use. Reads plain and hashed (`|1|salt|hmac`, as `ssh-keygen -H` writes) host fields,
 * `[host]:port` for non-22 ports, wildcard and `!` patterns, and the @revoked / @cert-authority markers.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import { DeckhandError } from '../errors.js';
import { keyTypeOf, sha256Fingerprint } from './host-keys.js';
import { matchPatternList } from './ssh-config-match.js';

export interface KnownHostKey {
  /** e.g. "ssh-ed25519", read from the key itself. */
  readonly keyType: string;
  /** "SHA256:…", the format host-keys.ts pins. */
  readonly fingerprint: string;
  /** "file line N". */
  readonly at: string;
  readonly hashed: boolean;
}

export interface KnownHostsLookup {
  /** The name looked up: "host" on port 22, "[host]:port" otherwise (as ssh writes it). */
  readonly name: string;
  /** Plain keys for the host, in file order, none of them revoked. */
  readonly keys: readonly KnownHostKey[];
  /** Keys listed for the host but also marked @revoked: never to be pinned. */
  readonly revoked: readonly KnownHostKey[];
  /** @cert-authority lines matching the host: deckhand does not check host certificates, so these pin nothing. */
  readonly certAuthorities: readonly KnownHostKey[];
}

/** ssh2's host key preference: the key deckhand will be shown first when the server has several. */
const PREFERENCE = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'];

/** The name a host's keys are recorded under. */
export function knownHostsName(host: string, port = 22): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/**
 * Looks a host up in the given files (missing files are skipped). Pass the HostKeyAlias as `host` when the
 * ssh config sets one: ssh records and looks keys up under it.
 */
export async function lookupKnownHosts(files: readonly string[], host: string, port = 22): Promise<KnownHostsLookup> {
  const name = knownHostsName(host, port);
  const plain: KnownHostKey[] = [];
  const revokedBlobs: KnownHostKey[] = [];
  const cas: KnownHostKey[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new DeckhandError('known_hosts_unreadable', `Cannot read the known_hosts file ${file}.`, {
        hint: 'Check its permissions, or leave it out and trust the host key on first use.',
        cause: err,
      });
    }
    text.split('\n').forEach((line, i) => {
      const e = parseLine(line);
      if (!e) return;
      const key: KnownHostKey = {
        keyType: keyTypeOf(e.blob),
        fingerprint: sha256Fingerprint(e.blob),
        at: `${file} line ${i + 1}`,
        hashed: e.hosts.startsWith('|'),
      };
      // A revoked key is revoked for every host, whatever host field its line has.
      if (e.marker === '@revoked') revokedBlobs.push(key);
      else if (hostFieldMatches(e.hosts, name)) (e.marker === '@cert-authority' ? cas : plain).push(key);
    });
  }
  const isRevoked = (k: KnownHostKey) => revokedBlobs.some((r) => r.fingerprint === k.fingerprint);
  return {
    name,
    keys: plain.filter((k) => !isRevoked(k)),
    revoked: plain.filter(isRevoked),
    certAuthorities: cas,
  };
}

/**
 * The fingerprint to pin from a lookup, or undefined when the files know no usable key (then trust on first use).
 * Refuses when every key known for the host is revoked. With several keys it picks the type ssh2 negotiates first.
 */
export function pinFromKnownHosts(found: KnownHostsLookup): KnownHostKey | undefined {
  if (found.keys.length === 0 && found.revoked.length > 0) {
    const r = found.revoked[0] as KnownHostKey;
    throw new DeckhandError(
      'host_key_revoked',
      `The key known for ${found.name} (${r.fingerprint}, ${r.at}) is marked @revoked in known_hosts.`,
      {
        hint: 'Do not connect until the host has a new key: check it on the server console, then replace the entry in known_hosts.',
      },
    );
  }
  const rank = (k: KnownHostKey) => {
    const i = PREFERENCE.indexOf(k.keyType);
    return i < 0 ? PREFERENCE.length : i;
  };
  return [...found.keys].sort((a, b) => rank(a) - rank(b))[0];
}

function parseLine(raw: string): { marker: string | undefined; hosts: string; blob: Buffer } | undefined {
  const line = raw.trim();
  if (line === '' || line.startsWith('#')) return undefined;
  const words = line.split(/\s+/);
  const marker = words[0]?.startsWith('@') ? words.shift() : undefined;
  if (marker !== undefined && marker !== '@revoked' && marker !== '@cert-authority') return undefined;
  const [hosts, , b64] = words;
  if (!hosts || !b64) return undefined;
  const blob = Buffer.from(b64, 'base64');
  // A line whose key does not decode is skipped, as ssh skips it.
  if (blob.length < 8) return undefined;
  return { marker, hosts, blob };
}

function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, mac] = field.split('|');
    if (!salt || !mac) return false;
    const want = Buffer.from(mac, 'base64');
    const got = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
    return want.length === got.length && timingSafeEqual(want, got);
  }
  // Host names compare case-insensitively, with wildcards and negations (hostfile.c uses match_hostname).
  return matchPatternList(name, field, true) === 1;
}
