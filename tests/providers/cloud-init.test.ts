import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateHostKeyPair, renderCloudInit, USER_DATA_MAX_BYTES } from '../../src/providers/cloud-init.js';
import { md5Fingerprint, publicKeyBlob, sha256Fingerprint } from '../../src/providers/ssh-key-fingerprint.js';
import { providerFor, useFakeHetzner } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'deckhand-cloud-init-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeKey(name: string, content: string, mode = 0o600): string {
  const file = join(dir, name);
  writeFileSync(file, content, { mode });
  return file;
}

describe('host key pair and fingerprints', () => {
  it('SHA256 fingerprint is exactly what ssh-keygen -lf prints', () => {
    for (let i = 0; i < 3; i++) {
      const pair = generateHostKeyPair();
      const file = writeKey(`host${i}.pub`, `${pair.publicKey}\n`);
      const out = execFileSync('ssh-keygen', ['-lf', file], { encoding: 'utf8' });
      expect(out.split(' ')[1]).toBe(pair.fingerprint);
      expect(pair.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    }
  });

  it('MD5 fingerprint is what ssh-keygen -E md5 prints (the form Hetzner filters SSH keys by)', () => {
    const pair = generateHostKeyPair();
    const file = writeKey('md5.pub', `${pair.publicKey}\n`);
    const out = execFileSync('ssh-keygen', ['-E', 'md5', '-lf', file], { encoding: 'utf8' });
    expect(`MD5:${md5Fingerprint(pair.publicKey)}`).toBe(out.split(' ')[1]);
  });

  it('the private key belongs to the public key (ssh-keygen -y derives the same blob)', () => {
    const pair = generateHostKeyPair('my-comment');
    expect(pair.publicKey).toMatch(/^ssh-ed25519 AAAA\S+ my-comment$/);
    const file = writeKey('host', pair.privateKey);
    const derived = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim();
    expect(publicKeyBlob(derived)).toEqual(publicKeyBlob(pair.publicKey));
  });

  it('every call makes a fresh key', () => {
    expect(generateHostKeyPair().fingerprint).not.toBe(generateHostKeyPair().fingerprint);
  });

  it('rejects text that is not an OpenSSH public key', () => {
    expect(() => sha256Fingerprint('hello')).toThrow(/Not an OpenSSH public key/);
    const blob = publicKeyBlob(generateHostKeyPair().publicKey).toString('base64');
    expect(() => sha256Fingerprint(`ssh-rsa ${blob}`)).toThrow(/says "ssh-rsa" but its data holds "ssh-ed25519"/);
  });
});

describe('renderCloudInit', () => {
  it('installs the key as the only host key', () => {
    const pair = generateHostKeyPair();
    const userData = renderCloudInit({ hostKey: pair });
    expect(userData.startsWith('#cloud-config\n')).toBe(true);
    const config = parse(userData) as Record<string, unknown>;
    expect(config).toEqual({
      ssh_deletekeys: true,
      ssh_genkeytypes: [],
      ssh_keys: { ed25519_private: pair.privateKey, ed25519_public: pair.publicKey },
    });
    // The private key must survive YAML intact, or sshd would refuse it.
    const file = writeKey('roundtrip', (config.ssh_keys as { ed25519_private: string }).ed25519_private);
    const derived = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim();
    expect(sha256Fingerprint(derived)).toBe(pair.fingerprint);
    expect(Buffer.byteLength(userData)).toBeLessThan(USER_DATA_MAX_BYTES);
  });

  describe('through the provider', () => {
    const fake = useFakeHetzner({ actionDurationMs: 0 });

    it('user_data reaches the API unchanged', async () => {
      const userData = renderCloudInit({ hostKey: generateHostKeyPair() });
      const { provider } = providerFor(fake());
      await provider.createServer({
        name: 'pinned',
        serverType: 'cx23',
        image: 'debian-12',
        labels: {},
        sshKeyIds: [],
        userData,
      });
      expect(fake().state.findServerByName('pinned')?.userData).toBe(userData);
    });
  });
});
