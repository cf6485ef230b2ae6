import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateEd25519, wellFormed } from '../../src/ssh/keygen.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-keygen-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// What ssh2's generator once made here: a public key whose leading zero byte was dropped (a 31-byte key).
const TRUNCATED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAH7OGOfHgWf3ax0iMav/9y+pR4Mj9pwKdJRRTphanGI4= deckhand-host-key';

const sshKeygenAccepts = (keys: string[]): boolean => {
  const file = path.join(dir, `k${keys.length}.pub`);
  fs.writeFileSync(file, keys.map((k) => `${k.trim()}\n`).join(''));
  try {
    const out = execFileSync('ssh-keygen', ['-lf', file], { encoding: 'utf8', stdio: 'pipe' });
    return out.trim().split('\n').length === keys.length;
  } catch {
    return false;
  }
};

describe('Ed25519 keys deckhand makes (host keys for new servers, its own key)', () => {
  it('tells a truncated public key from a whole one, as ssh-keygen does', () => {
    expect(sshKeygenAccepts([TRUNCATED])).toBe(false);
    expect(wellFormed(TRUNCATED)).toBe(false);
    const good = generateEd25519('t').public;
    expect(sshKeygenAccepts([good])).toBe(true);
    expect(wellFormed(good)).toBe(true);
    expect(wellFormed('ssh-ed25519')).toBe(false);
    expect(wellFormed('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== x')).toBe(false);
  });

  it('makes only keys OpenSSH reads: 1,024 of them (ssh2 alone gets about 4 wrong), every one accepted', () => {
    const keys = Array.from({ length: 1024 }, () => generateEd25519('deckhand-host-key').public);
    expect(keys.every(wellFormed)).toBe(true);
    expect(sshKeygenAccepts(keys)).toBe(true);
  });
});
