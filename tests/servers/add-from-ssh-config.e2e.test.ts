import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { structured, textOf } from '../helpers/mcp.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

interface Added {
  server: { name: string; host: string; port: number; user: string; host_key_fingerprint: string };
  trust: string;
  known_hosts?: { at: string; hashed: boolean };
  sources?: Record<string, string>;
}

/** What `ssh -G` makes of a host with this config alone: the reference deckhand's reading is checked against. */
function sshG(config: string, alias: string): Record<string, string[]> {
  const out = execFileSync('ssh', ['-G', '-F', config, alias], { encoding: 'utf8' });
  const map: Record<string, string[]> = {};
  for (const line of out.split('\n')) {
    const [k, ...v] = line.split(' ');
    if (k) (map[k] ??= []).push(v.join(' '));
  }
  return map;
}

function knownHostsLine(sshd: SshdHandle): string {
  return execFileSync('ssh-keyscan', ['-p', String(sshd.port), '-t', 'ed25519', '127.0.0.1'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

describe('add-server {ssh_config_host} through MCP, against ssh -G and real sshds', () => {
  let web: SshdHandle;
  let other: SshdHandle;
  let dir: string;
  let config: string;
  let home: ReturnType<typeof tempHome>;
  let d: InProcess;

  beforeAll(async () => {
    [web, other] = await Promise.all([startSshd(), startSshd()]);
    // Both daemons accept the same client key, so the config below can name one key for every host.
    fs.copyFileSync(path.join(web.dir, 'authorized_keys'), path.join(other.dir, 'authorized_keys'));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-sshcfg-'));
    fs.mkdirSync(path.join(dir, 'conf.d'));
    const kh = path.join(dir, 'known_hosts');
    // web's key under its own address, and (wrongly) web's key again under other's port: a host whose key changed.
    const webLine = knownHostsLine(web);
    fs.writeFileSync(kh, webLine + webLine.replace(`]:${web.port} `, `]:${other.port} `));
    execFileSync('ssh-keygen', ['-H', '-f', kh], { stdio: 'ignore' });
    expect(fs.readFileSync(kh, 'utf8')).not.toContain('127.0.0.1');
    fs.writeFileSync(path.join(dir, 'conf.d', '10-web.conf'), `Host web\n  HostName 127.0.0.1\n  IdentitiesOnly yes\n`);
    config = path.join(dir, 'config');
    fs.writeFileSync(
      config,
      [
        `Include ${dir}/conf.d/*.conf`,
        'Host changed',
        '  HostName 127.0.0.1',
        `  Port ${other.port}`,
        'Host fresh',
        '  HostName 127.0.0.1',
        `  Port ${other.port}`,
        '  UserKnownHostsFile /dev/null',
        'Host piped',
        '  ProxyCommand nc %h %p',
        // Match host sees the HostName set so far, so this gives web its port.
        'Match host 127.0.0.1 originalhost web',
        `  Port ${web.port}`,
        'Host *',
        `  User ${web.user}`,
        `  IdentityFile ${web.clientKey}`,
        `  UserKnownHostsFile ${kh}`,
        '',
      ].join('\n'),
    );
    home = tempHome();
    d = await startInProcess({ DECKHAND_HOME: home.dir, DECKHAND_SSH_CONFIG: config });
  }, 60_000);
  afterAll(async () => {
    await d?.close();
    await Promise.all([web?.stop(), other?.stop()]);
    home?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('resolves Include and Match like ssh -G, pins the key from a hashed known_hosts line, and the server works', async () => {
    const g = sshG(config, 'web');
    const r = await d.call('add-server', { ssh_config_host: 'web' });
    expect(r.isError, textOf(r)).toBeFalsy();
    const a = structured<Added>(r);
    expect([a.server.name, a.server.host, String(a.server.port), a.server.user]).toEqual([
      'web',
      g.hostname?.[0],
      g.port?.[0],
      g.user?.[0],
    ]);
    expect(g.identityfile).toEqual([web.clientKey]);
    expect(a.server.host_key_fingerprint).toBe(web.hostKeyFingerprint);
    expect(a.trust).toBe('known_hosts');
    expect(a.known_hosts).toEqual({ at: `${path.join(dir, 'known_hosts')} line 1`, hashed: true });
    expect(a.sources).toMatchObject({
      host: `HostName, ${path.join(dir, 'conf.d', '10-web.conf')} line 2`,
      port: `Port, ${config} line 12`,
      key: `IdentityFile, ${config} line 15`,
    });
    expect(textOf(r)).toContain('a hashed entry');
    const ran = structured<{ stdout: string }>(await d.call('remote-bash', { server: 'web', command: 'echo hi' }));
    expect(ran.stdout).toBe('hi');
  });

  it('refuses a host whose key is not the one known_hosts lists, registering nothing', async () => {
    const r = await d.call('add-server', { ssh_config_host: 'changed' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/^Error \(host_key_mismatch\): Host key mismatch for "changed"/);
    expect(textOf(r)).toContain(`${path.join(dir, 'known_hosts')} line 2`);
    expect(textOf(r)).toContain(other.hostKeyFingerprint);
    const list = structured<{ servers: { name: string }[] }>(await d.call('list-servers', {}));
    expect(list.servers.map((s) => s.name)).not.toContain('changed');
  });

  it('trusts on first use when known_hosts knows nothing, and says so', async () => {
    const r = await d.call('add-server', { ssh_config_host: 'fresh', name: 'fresh-one' });
    const a = structured<Added>(r);
    expect([a.server.name, a.trust, a.server.host_key_fingerprint]).toEqual([
      'fresh-one',
      'first-use',
      other.hostKeyFingerprint,
    ]);
    expect(textOf(r)).toContain('pinned on first use');
  });

  it('refuses ProxyCommand and a name that is not in the config, saying what to do', async () => {
    const piped = await d.call('add-server', { ssh_config_host: 'piped' });
    expect(textOf(piped)).toMatch(
      /^Error \(ssh_config_unsupported\): .* line \d+: "piped" is reached with ProxyCommand/,
    );
    expect(textOf(piped)).toContain('Use ProxyJump');
    // An alias no Host line names still resolves (ssh would connect to it as a host name): deckhand tries it, and says
    // that the name does not resolve.
    const unknown = await d.call('add-server', { ssh_config_host: 'no-such-host.invalid' });
    expect(textOf(unknown)).toMatch(/^Error \(dns_failure\)/);
  });
});
