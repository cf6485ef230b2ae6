import ssh2 from 'ssh2';

const { utils } = ssh2;

/** Attempts before giving up: a bad key comes 1 time in 256, so two in a row is already rare. */
const MAX_TRIES = 8;

/**
 * A new Ed25519 key pair in OpenSSH format. ssh2's generator drops the leading zero byte of a public key that starts
 * with one (1 key in 256): the blob then says the key is 31 bytes long, which OpenSSH refuses ("not a public key
 * file") and which would pin a server to a key it can never present. Such a pair is thrown away and made again.
 */
export function generateEd25519(comment: string): { readonly private: string; readonly public: string } {
  for (let i = 0; i < MAX_TRIES; i++) {
    const pair = utils.generateKeyPairSync('ed25519', { comment });
    if (wellFormed(pair.public)) return { private: pair.private, public: pair.public };
  }
  throw new Error(`could not generate a well-formed Ed25519 key in ${MAX_TRIES} tries`);
}

/** "ssh-ed25519 <base64 blob> comment" whose blob holds the type name and exactly 32 bytes of key. */
export function wellFormed(publicKey: string): boolean {
  const b64 = publicKey.trim().split(/\s+/)[1];
  if (b64 === undefined) return false;
  const blob = Buffer.from(b64, 'base64');
  if (blob.length < 4) return false;
  const typeLen = blob.readUInt32BE(0);
  const keyAt = 4 + typeLen;
  if (blob.subarray(4, keyAt).toString() !== 'ssh-ed25519' || blob.length < keyAt + 4) return false;
  return blob.readUInt32BE(keyAt) === 32 && blob.length === keyAt + 4 + 32;
}
