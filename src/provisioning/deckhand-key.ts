import fs from 'node:fs';
import path from 'node:path';
// ssh2 is CommonJS: Node's ESM loader finds Client as a named export but not utils.
import ssh2 from 'ssh2';
import { DeckhandError } from '../errors.js';
import { generateEd25519 } from '../ssh/keygen.js';
import { expandHome } from '../ssh/credentials.js';

const { utils } = ssh2;

/** deckhand's own login key for the servers it creates: one ed25519 pair per DECKHAND_HOME. */
export interface DeckhandKey {
  readonly privateKeyPath: string;
  readonly publicKeyPath: string;
  /** `ssh-ed25519 AAAA... deckhand@<home>` on one line. */
  readonly publicKey: string;
}

export const DECKHAND_KEY_NAME = 'deckhand_ed25519';

/**
 * Returns the key pair, generating it on first use. The private key is written 0600 under a temporary name and
 * linked into place, so two processes starting at once end up sharing one key instead of overwriting each other.
 */
export function ensureDeckhandKey(home: string): DeckhandKey {
  const dir = path.join(home, 'keys');
  const privateKeyPath = path.join(dir, DECKHAND_KEY_NAME);
  const publicKeyPath = `${privateKeyPath}.pub`;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!fs.existsSync(privateKeyPath)) {
    const pair = generateEd25519('deckhand');
    const tmp = `${privateKeyPath}.${process.pid}.${Date.now()}.tmp`;
    fs.writeFileSync(tmp, pair.private, { mode: 0o600 });
    try {
      fs.linkSync(tmp, privateKeyPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  const publicKey = publicKeyOf(privateKeyPath);
  // The .pub file is derived, so it can always be rewritten from the private key.
  if (!fs.existsSync(publicKeyPath) || fs.readFileSync(publicKeyPath, 'utf8').trim() !== publicKey) {
    fs.writeFileSync(publicKeyPath, `${publicKey}\n`, { mode: 0o644 });
  }
  return { privateKeyPath, publicKeyPath, publicKey };
}

function publicKeyOf(privateKeyPath: string): string {
  const st = fs.statSync(privateKeyPath);
  if ((st.mode & 0o077) !== 0) fs.chmodSync(privateKeyPath, 0o600);
  const parsed = utils.parseKey(fs.readFileSync(privateKeyPath));
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error) {
    throw new DeckhandError('key_file_invalid', `deckhand's key ${privateKeyPath} cannot be read.`, {
      hint: 'Move the file away; deckhand generates a new key on the next create-server (servers created with the old key then need it back to be reached).',
      ...(key instanceof Error ? { cause: key } : {}),
    });
  }
  return `${key.type} ${key.getPublicSSH().toString('base64')} deckhand`;
}

/**
 * The key pair create-server authorizes on a new server: deckhand's own, or the user's when `publicKeyPath` is
 * given (then deckhand logs in with the private key beside it, the same path without `.pub`).
 */
export function loginKeyFor(home: string, publicKeyPath: string | undefined): DeckhandKey {
  if (publicKeyPath === undefined) return ensureDeckhandKey(home);
  const pub = path.resolve(expandHome(publicKeyPath));
  let publicKey: string;
  try {
    publicKey = fs.readFileSync(pub, 'utf8').trim().split('\n')[0]?.trim() ?? '';
  } catch (err) {
    throw new DeckhandError('key_file_missing', `Cannot read ssh_public_key_path ${pub}.`, {
      hint: "Give the path of an OpenSSH public key file (e.g. ~/.ssh/id_ed25519.pub), or leave it out to use deckhand's own key.",
      cause: err,
    });
  }
  const priv = pub.endsWith('.pub') ? pub.slice(0, -4) : '';
  if (!priv || !fs.existsSync(priv)) {
    throw new DeckhandError(
      'key_file_missing',
      `No private key next to ${pub} (expected ${priv || `${pub} without .pub`}).`,
      {
        hint: "deckhand logs in to the new server with the matching private key: keep it beside the .pub file, or leave ssh_public_key_path out to use deckhand's own key.",
      },
    );
  }
  return { privateKeyPath: priv, publicKeyPath: pub, publicKey };
}
