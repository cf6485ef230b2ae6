import { createHash } from 'node:crypto';

/**
 * Decodes the key blob of a single-line OpenSSH public key (`type base64 [comment]`) and checks that
 * the type written in front matches the one inside the blob, so a mangled key fails here and not later.
 */
export function publicKeyBlob(publicKey: string): Buffer {
  const [type, b64] = publicKey.trim().split(/\s+/);
  if (!type || !b64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    throw new TypeError('Not an OpenSSH public key: expected "<type> <base64> [comment]" on one line');
  }
  const blob = Buffer.from(b64, 'base64');
  const len = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  const inner = len > 0 && 4 + len <= blob.length ? blob.subarray(4, 4 + len).toString('latin1') : '';
  if (inner !== type) {
    throw new TypeError(`Not an OpenSSH public key: the key says "${type}" but its data holds "${inner || '?'}"`);
  }
  return blob;
}

/** `SHA256:...` exactly as `ssh-keygen -lf` prints it: unpadded base64 of the blob's SHA-256. */
export function sha256Fingerprint(publicKey: string): string {
  const digest = createHash('sha256').update(publicKeyBlob(publicKey)).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/** Colon-separated hex MD5 of the blob: the fingerprint Hetzner stores and filters SSH keys by. */
export function md5Fingerprint(publicKey: string): string {
  const hex = createHash('md5').update(publicKeyBlob(publicKey)).digest('hex');
  return hex.match(/../g)!.join(':');
}
