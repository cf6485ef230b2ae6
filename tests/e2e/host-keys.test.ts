import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { startStdio, structured, textOf, type StdioSession } from '../helpers/mcp.js';
import { expectAlive, expectToolError } from '../helpers/mcp-expect.js';
import { freePort, startSshd, type SshdHandle } from '../helpers/sshd.js';

interface AddResult {
  server: { name: string; host: string; port: number; user: string; host_key_fingerprint: string };
  trust: 'verified' | 'first-use';
}

describe('host keys and connection errors, through the stdio binary', () => {
  let sshd: SshdHandle;
  let home: { dir: string; cleanup(): void };
  let mcp: StdioSession;
  let target: { host: string; port: number; user: string; private_key_path: string };

  beforeAll(async () => {
    sshd = await startSshd();
    target = { host: sshd.host, port: sshd.port, user: sshd.user, private_key_path: sshd.clientKey };
  });
  afterAll(async () => {
    await sshd?.stop();
  });
  beforeEach(async () => {
    home = tempHome();
    mcp = await startStdio({ DECKHAND_HOME: home.dir });
  });
  afterEach(async () => {
    await mcp?.close();
    home?.cleanup();
  });

  it('pins the host key on first use and returns the fingerprint ssh-keygen shows', async () => {
    const r = await mcp.call('add-server', { name: 'box', ...target });
    const added = structured<AddResult>(r);
    expect(added.trust).toBe('first-use');
    expect(added.server.host_key_fingerprint).toBe(sshd.hostKeyFingerprint);
    expect(textOf(r)).toContain(sshd.hostKeyFingerprint);
    expect(textOf(r)).toMatch(/pinned on first use/);
    const inventory = JSON.parse(fs.readFileSync(path.join(home.dir, 'inventory.json'), 'utf8'));
    expect(inventory.servers[0]).toMatchObject({ name: 'box', host_key_fingerprint: sshd.hostKeyFingerprint });
    // Secrets are never stored: only the key's path.
    expect(JSON.stringify(inventory)).not.toContain('PRIVATE KEY');

    const listed = structured<{ servers: AddResult['server'][] }>(await mcp.call('list-servers', {}));
    expect(listed.servers).toEqual([
      {
        name: 'box',
        host: sshd.host,
        port: sshd.port,
        user: sshd.user,
        host_key_fingerprint: sshd.hostKeyFingerprint,
        labels: {},
        // No policy of its own and no env=prod label: the default, open.
        policy: { mode: 'open', default: 'not env=prod' },
      },
    ]);
  });

  it('verifies an explicit fingerprint, also when pasted as the whole ssh-keygen line', async () => {
    const r = await mcp.call('add-server', { name: 'box', ...target, host_key_fingerprint: sshd.hostKeyFingerprint });
    const added = structured<AddResult>(r);
    expect(added.trust).toBe('verified');
    expect(added.server.host_key_fingerprint).toBe(sshd.hostKeyFingerprint);
    expect(textOf(r)).toMatch(/verified/);

    const line = execFileSync('ssh-keygen', ['-lf', path.join(sshd.dir, 'hostkey.pub')], { encoding: 'utf8' }).trim();
    const again = structured<AddResult>(
      await mcp.call('add-server', { name: 'box-2', ...target, host_key_fingerprint: line }),
    );
    expect(again).toMatchObject({ trust: 'verified', server: { host_key_fingerprint: sshd.hostKeyFingerprint } });
  });

  it('refuses a wrong fingerprint, shows both, and registers nothing', async () => {
    const wrong = `SHA256:${'A'.repeat(43)}`;
    const r = await mcp.call('add-server', { name: 'box', ...target, host_key_fingerprint: wrong });
    const text = expectToolError(r, 'host_key_mismatch', [wrong, sshd.hostKeyFingerprint]);
    // Nothing was pinned yet, so the advice must not be to remove a server that does not exist.
    expect(text).not.toMatch(/remove-server/);
    expect(text).toMatch(/add-server/);
    const bad = await mcp.call('add-server', { name: 'box', ...target, host_key_fingerprint: 'MD5:aa:bb' });
    expectToolError(bad, 'invalid_argument', ['host_key_fingerprint', 'ssh-keygen -lf']);
    expect(structured<{ servers: unknown[] }>(await mcp.call('list-servers', {})).servers).toEqual([]);
    await expectAlive(mcp);
  });

  it('refuses a duplicate name and an unknown name, naming what exists', async () => {
    structured(await mcp.call('add-server', { name: 'box', ...target }));
    expectToolError(await mcp.call('add-server', { name: 'box', ...target }), 'server_exists', [
      '"box"',
      'remove-server',
    ]);
    expectToolError(await mcp.call('remove-server', { name: 'nope' }), 'unknown_server', [
      '"nope"',
      'Known servers: box',
    ]);
    const removed = await mcp.call('remove-server', { name: 'box' });
    expect(structured<{ removed: { name: string } }>(removed).removed.name).toBe('box');
    expectToolError(await mcp.call('remove-server', { name: 'box' }), 'unknown_server', [/add-server/]);
    expectToolError(await mcp.call('remote-bash', { server: 'box', command: 'true' }), 'unknown_server');
    await expectAlive(mcp);
  });

  it('explains connection refused, DNS failure, auth failure, a missing key file and an unset password variable', async () => {
    const closedPort = await freePort();
    expectToolError(
      await mcp.call('add-server', { name: 'refused', ...target, port: closedPort }),
      'connection_refused',
      [`127.0.0.1:${closedPort}`, /sshd is running/],
    );

    expectToolError(
      await mcp.call('add-server', { name: 'dns', ...target, host: 'no-such-host.deckhand-test.invalid' }),
      'dns_failure',
      ['no-such-host.deckhand-test.invalid', /spelling|IP address/],
    );

    const strangerKey = path.join(home.dir, 'stranger');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', strangerKey]);
    expectToolError(
      await mcp.call('add-server', { name: 'auth', ...target, private_key_path: strangerKey }),
      'auth_failed',
      [`publickey (${strangerKey})`, 'authorized_keys'],
    );

    const missing = path.join(home.dir, 'no-such-key');
    expectToolError(
      await mcp.call('add-server', { name: 'nokey', ...target, private_key_path: missing }),
      'key_file_missing',
      [missing],
    );

    expectToolError(
      await mcp.call('add-server', {
        name: 'pw',
        host: target.host,
        port: target.port,
        user: target.user,
        password_env: 'DECKHAND_TEST_UNSET_PASSWORD',
      }),
      'secret_env_missing',
      ['DECKHAND_TEST_UNSET_PASSWORD', /"env" block/],
    );

    expect(structured<{ servers: unknown[] }>(await mcp.call('list-servers', {})).servers).toEqual([]);
    await expectAlive(mcp);
  });
});

describe('a host key that changes after pinning', () => {
  let sshd: SshdHandle;
  let home: { dir: string; cleanup(): void };
  let mcp: StdioSession;

  beforeAll(async () => {
    sshd = await startSshd();
    home = tempHome();
    mcp = await startStdio({ DECKHAND_HOME: home.dir });
  });
  afterAll(async () => {
    await mcp?.close();
    await sshd?.stop();
    home?.cleanup();
  });

  it('is refused with both keys and the way to re-pin; remove-server then add-server re-pins', async () => {
    const target = { host: sshd.host, port: sshd.port, user: sshd.user, private_key_path: sshd.clientKey };
    const old = structured<AddResult>(await mcp.call('add-server', { name: 'box', ...target })).server
      .host_key_fingerprint;
    expect(
      structured<{ stdout: string }>(await mcp.call('remote-bash', { server: 'box', command: 'echo one' })).stdout,
    ).toBe('one');

    // The server is rebuilt: its connections drop and it comes back with a new host key.
    sshd.dropConnections();
    const rotated = await sshd.rotateHostKey();
    expect(rotated).not.toBe(old);
    const refused = await mcp.call('remote-bash', { server: 'box', command: 'echo two' });
    expectToolError(refused, 'host_key_mismatch', [old, rotated, /remove-server.*then add-server/]);
    // A second try does not slip through on some other path.
    expectToolError(await mcp.call('remote-bash', { server: 'box', command: 'echo two' }), 'host_key_mismatch');

    structured(await mcp.call('remove-server', { name: 'box' }));
    const repinned = structured<AddResult>(
      await mcp.call('add-server', { name: 'box', ...target, host_key_fingerprint: rotated }),
    );
    expect(repinned).toMatchObject({ trust: 'verified', server: { host_key_fingerprint: rotated } });
    expect(
      structured<{ stdout: string }>(await mcp.call('remote-bash', { server: 'box', command: 'echo three' })).stdout,
    ).toBe('three');
  });
});
