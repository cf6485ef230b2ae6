import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeckhandError } from '../../src/errors.js';
import { lookupKnownHosts, pinFromKnownHosts } from '../../src/ssh/known-hosts.js';
import { SshPool } from '../../src/ssh/pool.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

const fingerprintOf = (pub: string) => execFileSync('ssh-keygen', ['-lf', pub], { encoding: 'utf8' }).split(' ')[1];

describe('known_hosts lookups against keys scanned from a real sshd', () => {
  let sshd: SshdHandle;
  let dir: string;
  let ecdsaFp: string;
  let scanned: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-kh-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-b', '256', '-N', '', '-f', path.join(dir, 'ecdsa')]);
    ecdsaFp = fingerprintOf(path.join(dir, 'ecdsa.pub')) as string;
    // A second host key, so the lookup has to choose the one ssh2 will be shown.
    sshd = await startSshd({ extraConfig: `HostKey ${path.join(dir, 'ecdsa')}` });
    scanned = execFileSync('ssh-keyscan', ['-p', String(sshd.port), '-t', 'ecdsa,ed25519', '127.0.0.1'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(scanned).toContain(`[127.0.0.1]:${sshd.port} ssh-ed25519 `);
  });
  afterAll(async () => {
    await sshd?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finds both keys in a file hashed by ssh-keygen -H, and pins the one the server presents to deckhand', async () => {
    const file = path.join(dir, 'known_hosts');
    fs.writeFileSync(file, `# other hosts\nexample.org ssh-ed25519 ${otherKey(dir)}\n${scanned}`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    expect(fs.readFileSync(file, 'utf8')).not.toContain('127.0.0.1');
    const found = await lookupKnownHosts([path.join(dir, 'missing'), file], '127.0.0.1', sshd.port);
    expect(found.name).toBe(`[127.0.0.1]:${sshd.port}`);
    expect(found.keys.map((k) => [k.keyType, k.fingerprint, k.hashed]).sort()).toEqual(
      [
        ['ecdsa-sha2-nistp256', ecdsaFp, true],
        ['ssh-ed25519', sshd.hostKeyFingerprint, true],
      ].sort(),
    );
    const pinned = pinFromKnownHosts(found);
    expect(pinned?.fingerprint).toBe(sshd.hostKeyFingerprint);
    // The pool, pinning it, connects; so the fingerprint really is the one the handshake shows.
    const pool = new SshPool({ connectTimeoutMs: 5000, keepaliveIntervalMs: 15_000, env: {} });
    const server = {
      name: 'kh',
      host: '127.0.0.1',
      port: sshd.port,
      user: sshd.user,
      auth: { private_key_path: sshd.clientKey },
    };
    const probe = await pool.probe(
      { ...server, host_key_fingerprint: '' },
      {
        expected: pinned?.fingerprint,
      },
    );
    expect(probe.fingerprint).toBe(sshd.hostKeyFingerprint);
    await pool.close();
  });

  it('keeps ports apart and reads plain names, wildcards and negations case-insensitively', async () => {
    const file = path.join(dir, 'plain');
    const ed = scanned.split('\n').find((l) => l.includes('ssh-ed25519')) as string;
    const keyPart = ed.split(' ').slice(1).join(' ');
    fs.writeFileSync(file, `LOCALHOST,127.0.0.*,!127.0.0.2 ${keyPart}\n`);
    expect((await lookupKnownHosts([file], '127.0.0.1')).keys).toHaveLength(1);
    expect((await lookupKnownHosts([file], 'localhost')).keys).toHaveLength(1);
    expect((await lookupKnownHosts([file], '127.0.0.2')).keys).toHaveLength(0);
    // Port 22 entries do not answer for another port.
    expect((await lookupKnownHosts([file], '127.0.0.1', sshd.port)).keys).toHaveLength(0);
    expect(pinFromKnownHosts(await lookupKnownHosts([file], '127.0.0.2'))).toBeUndefined();
  });

  it('refuses a host whose only key is @revoked, and notes a @cert-authority without pinning it', async () => {
    const file = path.join(dir, 'markers');
    const ed = scanned.split('\n').find((l) => l.includes('ssh-ed25519')) as string;
    const keyPart = ed.split(' ').slice(1).join(' ');
    fs.writeFileSync(
      file,
      `${ed}\n@revoked * ${keyPart}\n@cert-authority *.example.org ssh-ed25519 ${otherKey(dir)}\n@bogus x ${keyPart}\n`,
    );
    const found = await lookupKnownHosts([file], '127.0.0.1', sshd.port);
    expect(found.keys).toHaveLength(0);
    expect(found.revoked.map((k) => k.fingerprint)).toEqual([sshd.hostKeyFingerprint]);
    let err: unknown;
    try {
      pinFromKnownHosts(found);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DeckhandError);
    expect((err as DeckhandError).code).toBe('host_key_revoked');
    expect((err as DeckhandError).message).toContain(`${file} line 1`);
    const ca = await lookupKnownHosts([file], 'web.example.org');
    expect(ca.certAuthorities).toHaveLength(1);
    expect(pinFromKnownHosts(ca)).toBeUndefined();
  });
});

/** The base64 of a fresh unrelated ed25519 public key. */
function otherKey(dir: string): string {
  const f = path.join(dir, `other-${Math.random().toString(36).slice(2)}`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', f]);
  return fs.readFileSync(`${f}.pub`, 'utf8').split(' ')[1] as string;
}
