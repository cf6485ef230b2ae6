import { describe, expect, it } from 'vitest';
import { canonicalJson, isSecretKey, MASK, maskArgs, maskCommand, maskRecord } from '../../src/audit/index.js';
import { DeckhandError } from '../../src/errors.js';
import { record } from './records.js';

describe('masking secrets before they reach the audit log', () => {
  it('tells secret keys from keys that only point at a secret', () => {
    for (const key of [
      'password',
      'DB_PASSWORD',
      'PGPASSWORD',
      'passphrase',
      'api_key',
      'apiKey',
      'GITHUB_TOKEN',
      'client_secret',
      'Authorization',
      'x-auth',
      'private_key',
      'cookie',
    ]) {
      expect(isSecretKey(key), key).toBe(true);
    }
    for (const key of [
      'password_env',
      'passphrase_env',
      'private_key_path',
      'token_name',
      'author',
      'server',
      'command',
      'labels',
    ]) {
      expect(isSecretKey(key), key).toBe(false);
    }
  });

  it('masks values under secret keys, private keys and known secrets, keeping the shape', () => {
    const args = {
      server: 'web-1',
      password_env: 'DB_PASS',
      private_key_path: '/root/.ssh/id_ed25519',
      env: { DB_PASSWORD: 'hunter22', LOG_LEVEL: 'info', API_KEY: '' },
      files: [
        {
          path: '/srv/app/key.pem',
          content: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----',
        },
      ],
      note: 'uses s3cr3t-value inside',
      count: 3,
    };
    expect(maskArgs(args, { secrets: ['s3cr3t-value'] })).toEqual({
      server: 'web-1',
      password_env: 'DB_PASS',
      private_key_path: '/root/.ssh/id_ed25519',
      env: { DB_PASSWORD: MASK, LOG_LEVEL: 'info', API_KEY: '' },
      files: [{ path: '/srv/app/key.pem', content: MASK }],
      note: `uses ${MASK} inside`,
      count: 3,
    });
  });

  it('masks the common places a command line carries a secret', () => {
    expect(maskCommand("DB_PASSWORD=hunter22 PORT=5432 psql -c 'select 1'")).toBe(
      "DB_PASSWORD=*** PORT=5432 psql -c 'select 1'",
    );
    expect(maskCommand('export API_TOKEN="a b c"; run')).toBe('export API_TOKEN=***; run');
    expect(maskCommand('mysqladmin --password=hunter22 --user root status')).toBe(
      'mysqladmin --password=*** --user root status',
    );
    expect(maskCommand('vault login --token abc.def status')).toBe('vault login --token *** status');
    expect(maskCommand("curl -H 'Authorization: Bearer eyJhbGciOi.x.y' https://api")).toBe(
      "curl -H 'Authorization: Bearer ***' https://api",
    );
    expect(maskCommand('git clone https://bob:ghp_123456@github.com/x/y')).toBe(
      'git clone https://bob:***@github.com/x/y',
    );
    expect(maskCommand('echo hunter22 | passwd --stdin bob', { secrets: ['hunter22'] })).toBe(
      'echo *** | passwd --stdin bob',
    );
    expect(maskCommand('ls -la /srv --color=auto')).toBe('ls -la /srv --color=auto');
  });

  it('maskRecord masks what a record carries', () => {
    const r = maskRecord({ ...record(1), args: { password: 'x1234', server: 'web-1' }, command: 'TOKEN=abcd run' });
    expect(r.args).toEqual({ password: MASK, server: 'web-1' });
    expect(r.command).toBe('TOKEN=*** run');
  });
});

describe('canonical JSON', () => {
  it('sorts keys at every depth, drops undefined, keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined }, e: 'é"\n' })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1,"e":"é\\"\\n"}',
    );
  });

  it('refuses what has no JSON form rather than hashing something ambiguous', () => {
    for (const bad of [
      { n: Number.NaN },
      { n: Infinity },
      { d: new Date(0) },
      { f: () => 1 },
      [undefined],
      { b: 10n },
    ]) {
      expect(() => canonicalJson(bad)).toThrow(DeckhandError);
    }
  });
});
