import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { structured, textOf } from '../helpers/mcp.js';
import { waitFor } from '../helpers/wait.js';
import { sshdConfig } from '../helpers/netns-host-setup.js';
import { startNetnsHost, type NetnsHost } from '../helpers/netns-host.js';

interface Added {
  server: { name: string; host: string; port: number; via?: string; host_key_fingerprint: string };
  trust: string;
  known_hosts?: { at: string; hashed: boolean };
  hops?: { name: string; registered: boolean; trust?: string }[];
}

// The bastion is a network-namespace host (its sshd on the namespace's address, reachable from here). The target is a
// second sshd inside that namespace on 127.0.0.1:2222: from this machine that address is another place entirely, so
// the target can only be reached through the bastion. deckhand learns both from an ssh config with ProxyJump.
describe('jump hosts: add-server from a ProxyJump config, through MCP', () => {
  let host: NetnsHost;
  let innerDir: string;
  let innerFp: string;
  let config: string;
  let home: ReturnType<typeof tempHome>;
  let d: InProcess;

  beforeAll(async () => {
    host = await startNetnsHost({ dockerPresent: false });
    innerDir = fs.mkdtempSync(path.join('/tmp', `${host.name}-inner-`));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(innerDir, 'hostkey')]);
    fs.copyFileSync(`${host.privateKeyPath}.pub`, path.join(innerDir, 'authorized_keys'));
    fs.writeFileSync(path.join(innerDir, 'sshd_config'), sshdConfig(innerDir, '127.0.0.1', 2222));
    const r = await host.exec(`/usr/sbin/sshd -f ${innerDir}/sshd_config -E ${innerDir}/sshd.log`);
    if (r.code !== 0) throw new Error(`inner sshd did not start: ${r.stderr}`);
    innerFp = execFileSync('ssh-keygen', ['-lf', path.join(innerDir, 'hostkey.pub')], { encoding: 'utf8' }).split(
      ' ',
    )[1] as string;
    // The target's key as ssh would have recorded it, hashed: "[127.0.0.1]:2222 ssh-ed25519 …".
    const innerKh = path.join(innerDir, 'known_hosts');
    const pub = fs.readFileSync(path.join(innerDir, 'hostkey.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    fs.writeFileSync(innerKh, `[127.0.0.1]:2222 ${pub}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', innerKh], { stdio: 'ignore' });
    config = path.join(innerDir, 'ssh_config');
    fs.writeFileSync(
      config,
      [
        'Host jump',
        `  HostName ${host.ip}`,
        `  UserKnownHostsFile ${host.knownHostsPath}`,
        'Host inner',
        '  HostName 127.0.0.1',
        '  Port 2222',
        '  ProxyJump jump',
        `  UserKnownHostsFile ${innerKh}`,
        'Host *',
        '  User root',
        `  IdentityFile ${host.privateKeyPath}`,
        '',
      ].join('\n'),
    );
    home = tempHome();
    d = await startInProcess({ DECKHAND_HOME: home.dir, DECKHAND_SSH_CONFIG: config });
  }, 90_000);
  afterAll(async () => {
    await d?.close();
    const pidFile = innerDir ? path.join(innerDir, 'sshd.pid') : '';
    if (pidFile && fs.existsSync(pidFile)) process.kill(Number(fs.readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
    await host?.stop();
    home?.cleanup();
    if (innerDir) fs.rmSync(innerDir, { recursive: true, force: true });
  });

  it('registers the jump host on the way, checks both keys from known_hosts, and runs commands and SFTP through it', async () => {
    const g = execFileSync('ssh', ['-G', '-F', config, 'inner'], { encoding: 'utf8' });
    expect(g).toMatch(/^proxyjump jump$/m);
    const r = await d.call('add-server', { ssh_config_host: 'inner' });
    expect(r.isError, textOf(r)).toBeFalsy();
    const a = structured<Added>(r);
    expect([a.server.name, a.server.via, a.server.host_key_fingerprint, a.trust, a.known_hosts?.hashed]).toEqual([
      'inner',
      'jump',
      innerFp,
      'known_hosts',
      true,
    ]);
    expect(a.hops).toEqual([{ name: 'jump', registered: true, trust: 'known_hosts' }]);
    expect(textOf(r)).toContain(
      `Jump host "jump" (root@${host.ip}:22): registered now, host key matched your known_hosts`,
    );
    const ran = structured<{ stdout: string }>(
      await d.call('remote-bash', { server: 'inner', command: 'echo "$SSH_CONNECTION"; hostname' }),
    );
    expect(ran.stdout).toMatch(new RegExp(`^127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 2222\\n${host.name}$`));
    const page = structured<{ content: string }>(await d.call('read-file', { server: 'inner', path: '/etc/hostname' }));
    expect(page.content.trim()).toBe(host.name);
    // A second server named with via shares the bastion's one pooled connection.
    const second = await d.call('add-server', {
      name: 'inner-2',
      host: '127.0.0.1',
      port: 2222,
      private_key_path: host.privateKeyPath,
      via: 'jump',
      host_key_fingerprint: innerFp,
    });
    expect(structured<Added>(second).trust).toBe('verified');
    await d.call('remote-bash', { server: 'inner-2', command: 'true' });
    expect(d.app.pool.connectionCount('jump')).toBe(1);
  });

  it('refuses to remove a bastion servers go through, and reports a dead bastion as the bastion', async () => {
    const refused = await d.call('remove-server', { name: 'jump' });
    expect(textOf(refused)).toMatch(/^Error \(bastion_in_use\): "jump" is the jump host of "inner", "inner-2"/);
    // Stop the bastion's sshd (listener and sessions): the target is fine, only the way to it is gone.
    const listener = Number(fs.readFileSync(path.join(path.dirname(host.knownHostsPath), 'sshd.pid'), 'utf8').trim());
    execFileSync('sh', ['-c', `pkill -KILL -P ${listener}; kill -KILL ${listener}`]);
    // Once deckhand has seen its pooled connections close. A call that meets one still open (CI did, under load)
    // sends its start into it: the command may have reached the server, so that job rightly keeps retrying rather
    // than failing, and the call answers a running job instead of the bastion's error this test is about.
    await waitFor(
      () => d.app.pool.connectionCount('jump') === 0 && d.app.pool.connectionCount('inner') === 0,
      'the pooled connections through the bastion to close',
    );
    const r = await d.call('remote-bash', { server: 'inner', command: 'true' });
    expect(textOf(r)).toMatch(
      new RegExp(
        `^Error \\(bastion_unreachable\\): Cannot reach bastion root@${host.ip.replace(/\./g, '\\.')}:22 \\(server "jump"\\), on the way to server "inner"`,
      ),
    );
    expect(textOf(r)).toContain('"inner" was not tried');
  });
});
