import { stringify } from 'yaml';
import { generateEd25519 } from '../ssh/keygen.js';
import { sha256Fingerprint } from './ssh-key-fingerprint.js';

/**
 * deckhand generates the server's SSH host key itself and hands it over through cloud-init, so the
 * fingerprint is known before the first connection: no trust-on-first-use window for a man in the middle.
 * The price is that the private host key travels in user_data, which Hetzner stores; it is used only as
 * the host's identity and deckhand never keeps it after rendering.
 */

export interface HostKeyPair {
  /** OpenSSH PEM (`-----BEGIN OPENSSH PRIVATE KEY-----`). */
  privateKey: string;
  /** Single line, `ssh-ed25519 AAAA... comment`. */
  publicKey: string;
  /** `SHA256:...` as `ssh-keygen -lf` prints it: the value to pin. */
  fingerprint: string;
}

export function generateHostKeyPair(comment = 'deckhand-host-key'): HostKeyPair {
  const pair = generateEd25519(comment);
  const publicKey = pair.public.trim();
  return { privateKey: pair.private, publicKey, fingerprint: sha256Fingerprint(publicKey) };
}

/** Hetzner refuses larger user_data. */
export const USER_DATA_MAX_BYTES = 32 * 1024;

export interface CloudInitOptions {
  hostKey: Pick<HostKeyPair, 'privateKey' | 'publicKey'>;
}

/** Renders `#cloud-config` user data that installs the given key as the server's only SSH host key. */
export function renderCloudInit(opts: CloudInitOptions): string {
  const config = {
    // Drop the image's keys and generate no others: the server then offers only the pinned key, so a
    // client can never be steered into negotiating an unpinned key type.
    ssh_deletekeys: true,
    ssh_genkeytypes: [],
    ssh_keys: {
      ed25519_private: opts.hostKey.privateKey.endsWith('\n')
        ? opts.hostKey.privateKey
        : `${opts.hostKey.privateKey}\n`,
      ed25519_public: opts.hostKey.publicKey.trim(),
    },
  };
  const userData = `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
  const bytes = Buffer.byteLength(userData);
  if (bytes > USER_DATA_MAX_BYTES) {
    throw new RangeError(`cloud-init user data is ${bytes} bytes; Hetzner accepts at most ${USER_DATA_MAX_BYTES}`);
  }
  return userData;
}
