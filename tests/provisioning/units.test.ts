import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Fingerprint } from '../../src/providers/index.js';
import { ensureDeckhandKey, loginKeyFor } from '../../src/provisioning/deckhand-key.js';
import { decodeHostKeyLabel, encodeHostKeyLabel } from '../../src/provisioning/host-key-label.js';
import { mergeDaemonConfig } from '../../src/setup/steps-docker.js';
import { tempHome } from '../helpers/home.js';

const HETZNER_LABEL_VALUE = /^([A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/;

describe('host key label', () => {
  it('round-trips any SHA256 fingerprint through a valid Hetzner label value', () => {
    for (let i = 0; i < 500; i++) {
      const fp = `SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`;
      const label = encodeHostKeyLabel(fp);
      expect(label).toMatch(HETZNER_LABEL_VALUE);
      expect(decodeHostKeyLabel(label)).toBe(fp);
    }
  });
  it('ignores absent or malformed labels', () => {
    expect(decodeHostKeyLabel(undefined)).toBeUndefined();
    expect(decodeHostKeyLabel('')).toBeUndefined();
    expect(decodeHostKeyLabel('kabck')).toBeUndefined();
  });
});

describe("deckhand's own key pair", () => {
  const homes: { cleanup(): void }[] = [];
  afterEach(() => homes.splice(0).forEach((h) => h.cleanup()));

  it('is generated once, 0600, an ed25519 key ssh-keygen accepts, and reused afterwards', () => {
    const h = tempHome();
    homes.push(h);
    const a = ensureDeckhandKey(h.dir);
    expect(fs.statSync(a.privateKeyPath).mode & 0o777).toBe(0o600);
    expect(a.publicKey).toMatch(/^ssh-ed25519 AAAA\S+ deckhand$/);
    const derived = execFileSync('ssh-keygen', ['-y', '-f', a.privateKeyPath], { encoding: 'utf8' }).trim();
    expect(derived.split(' ').slice(0, 2)).toEqual(a.publicKey.split(' ').slice(0, 2));
    const b = ensureDeckhandKey(h.dir);
    expect(b.publicKey).toBe(a.publicKey);
    expect(fs.readFileSync(a.publicKeyPath, 'utf8').trim()).toBe(a.publicKey);
    expect(fs.readdirSync(path.dirname(a.privateKeyPath)).sort()).toEqual(['deckhand_ed25519', 'deckhand_ed25519.pub']);
    expect(sha256Fingerprint(a.publicKey)).toMatch(/^SHA256:/);
  });

  it('uses a given public key only with its private key beside it', () => {
    const h = tempHome();
    homes.push(h);
    const key = path.join(h.dir, 'mine');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    expect(loginKeyFor(h.dir, `${key}.pub`).privateKeyPath).toBe(key);
    fs.renameSync(key, `${key}.moved`);
    expect(() => loginKeyFor(h.dir, `${key}.pub`)).toThrow(/No private key next to/);
    expect(() => loginKeyFor(h.dir, path.join(h.dir, 'nope.pub'))).toThrow(/Cannot read ssh_public_key_path/);
  });
});

describe('daemon.json merge', () => {
  it('adds log rotation and keeps every other key', () => {
    expect(mergeDaemonConfig({})).toEqual({
      'log-driver': 'json-file',
      'log-opts': { 'max-size': '10m', 'max-file': '3' },
    });
    expect(mergeDaemonConfig({ 'registry-mirrors': ['https://m.example'], 'log-opts': { 'max-size': '50m' } })).toEqual(
      {
        'registry-mirrors': ['https://m.example'],
        'log-driver': 'json-file',
        'log-opts': { 'max-size': '50m', 'max-file': '3' },
      },
    );
  });
  it('leaves a log driver the user chose alone, and is stable on its own output', () => {
    const journald = { 'log-driver': 'journald' };
    expect(mergeDaemonConfig(journald)).toBe(journald);
    const once = mergeDaemonConfig({ debug: true });
    expect(mergeDaemonConfig(once)).toEqual(once);
  });
});
