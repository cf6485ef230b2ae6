import { createHash } from 'node:crypto';

/** "SHA256:<base64 without padding>", exactly as `ssh-keygen -lf` prints it. */
export function sha256Fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named at the start of an SSH public key blob, e.g. "ssh-ed25519". */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const len = keyBlob.readUInt32BE(0);
  if (len <= 0 || len > 64 || 4 + len > keyBlob.length) return 'unknown';
  return keyBlob.subarray(4, 4 + len).toString('latin1');
}

const FINGERPRINT_RE = /^SHA256:[A-Za-z0-9+/]{43}$/;

/**
 * Accepts what users paste: with or without the "SHA256:" prefix (any case) or trailing "=", or the whole
 * `ssh-keygen -lf` line ("256 SHA256:… root@host (ED25519)"), which is what they most often copy.
 */
export function normalizeFingerprint(input: string): string | undefined {
  let s = input.trim();
  const words = s.split(/\s+/);
  if (words.length > 1) {
    const prefixed = words.filter((w) => /^SHA256:/i.test(w));
    if (prefixed.length !== 1) return undefined;
    s = prefixed[0] as string;
  }
  s = `SHA256:${s.replace(/^SHA256:/i, '').replace(/=+$/, '')}`;
  return FINGERPRINT_RE.test(s) ? s : undefined;
}

/** What the user sees on a mismatch: both keys and the way to re-pin. */
export function mismatchMessage(server: string, pinned: string, presented: string, keyType: string): string {
  return (
    `Host key mismatch for server "${server}": deckhand pinned ${pinned} but the host now presents ${presented} (${keyType}). ` +
    `Either the server was rebuilt or its address now points at another machine, or someone is intercepting the connection. ` +
    `If the change is expected, check the new fingerprint on the server's console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) ` +
    `and re-pin it: remove-server {"name": "${server}"}, then add-server with host_key_fingerprint "${presented}".`
  );
}

/** What the user sees when add-server's host_key_fingerprint does not match: nothing is pinned yet. */
export function givenMismatchMessage(server: string, given: string, presented: string, keyType: string): string {
  return (
    `Host key mismatch for server "${server}": you gave ${given} but the host presents ${presented} (${keyType}); nothing was registered. ` +
    `Check the fingerprint on the server's console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub): if it shows ${presented}, ` +
    `run add-server again with that; if it does not, someone may be intercepting the connection.`
  );
}
