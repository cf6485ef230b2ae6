import crypto from 'node:crypto';
import { DeckhandError } from '../../../errors.js';

const MAKE_ONE =
  'Make one with `openssl rand -base64 32`, set DECKHAND_SECRET_KEY to it on every deckhand instance (the same value), ' +
  'and keep a copy somewhere safe: secrets stored under it cannot be read without it.';

/**
 * DECKHAND_SECRET_KEY: 32 random bytes, as base64 (what `openssl rand -base64 32` prints) or as 64 hex digits.
 * Its value is never echoed in a message.
 */
export function parseSecretKey(value: string | undefined): Buffer {
  const v = (value ?? '').trim();
  if (v === '')
    throw new DeckhandError(
      'secret_key_missing',
      'DECKHAND_SECRET_KEY is not set: with DECKHAND_DATABASE_URL, deckhand keeps secrets in the database, encrypted with that key.',
      { hint: MAKE_ONE },
    );
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Buffer.from(v, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(v)) {
    const key = Buffer.from(v, 'base64');
    if (key.length === 32) return key;
  }
  throw new DeckhandError(
    'secret_key_invalid',
    `DECKHAND_SECRET_KEY must be 32 random bytes written as base64 (44 characters) or as 64 hex digits; the value set has ${v.length} characters.`,
    { hint: MAKE_ONE },
  );
}

const VERSION = 1;
const IV = 12;
const TAG = 16;

/** AES-256-GCM with the key's name as associated data: a value moved to another key's row does not open. */
export function seal(key: Buffer, name: string, plain: string): Buffer {
  const iv = crypto.randomBytes(IV);
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(name, 'utf8'));
  const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, c.getAuthTag(), body]);
}

export function unseal(key: Buffer, name: string, sealed: Buffer): string {
  try {
    if (sealed[0] !== VERSION) throw new Error(`unknown format ${sealed[0]}`);
    const d = crypto.createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 1 + IV));
    d.setAAD(Buffer.from(name, 'utf8'));
    d.setAuthTag(sealed.subarray(1 + IV, 1 + IV + TAG));
    return Buffer.concat([d.update(sealed.subarray(1 + IV + TAG)), d.final()]).toString('utf8');
  } catch {
    throw keyMismatch();
  }
}

export function keyMismatch(): DeckhandError {
  return new DeckhandError(
    'secret_key_mismatch',
    'The secrets in the database were not stored with this DECKHAND_SECRET_KEY, so they cannot be read.',
    { hint: 'Set DECKHAND_SECRET_KEY to the key the other instances use (every instance needs the same one).' },
  );
}
