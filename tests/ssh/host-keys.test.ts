import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyTypeOf, mismatchMessage, normalizeFingerprint, sha256Fingerprint } from '../../src/ssh/host-keys.js';

describe('sha256Fingerprint', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-hostkeys-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // One key of each type sshd commonly presents; ssh-keygen is the reference. The RSA key is ssh-keygen's smallest:
  // its size changes nothing the fingerprint code does, and a 2048-bit one took seconds of prime search under load.
  for (const [type, bits] of [
    ['ed25519', []],
    ['ecdsa', ['-b', '256']],
    ['rsa', ['-b', '1024']],
  ] as const) {
    it(`matches ssh-keygen -lf for an ${type} key and names its type`, () => {
      const file = path.join(dir, `key-${type}`);
      execFileSync('ssh-keygen', ['-q', '-t', type, ...bits, '-N', '', '-C', 'test', '-f', file]);
      const [algo, b64] = fs.readFileSync(`${file}.pub`, 'utf8').trim().split(' ');
      const blob = Buffer.from(b64 ?? '', 'base64');
      const expected = execFileSync('ssh-keygen', ['-lf', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1];
      expect(sha256Fingerprint(blob)).toBe(expected);
      expect(sha256Fingerprint(blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      expect(keyTypeOf(blob)).toBe(algo);
    });
  }

  it('names an unreadable blob "unknown" instead of throwing', () => {
    expect(keyTypeOf(Buffer.alloc(0))).toBe('unknown');
    expect(keyTypeOf(Buffer.from([0, 0, 0, 200, 1, 2]))).toBe('unknown');
    expect(keyTypeOf(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toBe('unknown');
  });
});

describe('normalizeFingerprint', () => {
  const b64 = 'n5Kt0pWcQw1dL3ZpQbXfPpLO0x4oF9hNE0u5kIuQ7xA';
  const fp = `SHA256:${b64}`;

  it('accepts what users paste: with or without prefix, padding, surrounding space', () => {
    expect(normalizeFingerprint(fp)).toBe(fp);
    expect(normalizeFingerprint(b64)).toBe(fp);
    expect(normalizeFingerprint(`${fp}=`)).toBe(fp);
    expect(normalizeFingerprint(`  ${fp}\n`)).toBe(fp);
  });

  it('accepts a whole `ssh-keygen -lf` output line', () => {
    expect(normalizeFingerprint(`256 ${fp} root@web-1 (ED25519)`)).toBe(fp);
    expect(normalizeFingerprint(`sha256:${b64}`)).toBe(fp);
  });

  it('refuses what is not a SHA256 fingerprint', () => {
    for (const bad of [
      '',
      'SHA256:',
      'SHA256:short',
      `SHA256:${b64}A`,
      `SHA256:${b64.slice(0, 42)}!`,
      'MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48',
      '16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48',
      `SHA256:${b64} SHA256:${b64.replace('n', 'm')}`,
    ]) {
      expect(normalizeFingerprint(bad), bad).toBeUndefined();
    }
  });
});

describe('mismatchMessage', () => {
  it('shows both keys and says how to re-pin', () => {
    const m = mismatchMessage('web-1', 'SHA256:old', 'SHA256:new', 'ssh-ed25519');
    expect(m).toContain('SHA256:old');
    expect(m).toContain('SHA256:new');
    expect(m).toMatch(/remove-server.*then add-server/);
  });
});
