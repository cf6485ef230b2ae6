import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeckhandError } from '../../src/errors.js';
import { listSshConfigHosts, resolveSshConfig } from '../../src/ssh/ssh-config.js';
import { resolveJumpChain } from '../../src/ssh/ssh-config-jump.js';

/** The fields deckhand takes from `ssh -G -F file alias`, as OpenSSH prints them. */
function sshG(file: string, alias: string) {
  if (!fs.existsSync('/usr/bin/ssh')) throw new Error('ssh not found: apt-get install -y openssh-client');
  const out = execFileSync('ssh', ['-G', '-F', file, alias], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const values = (k: string) =>
    out
      .split('\n')
      .filter((l) => l.startsWith(`${k} `))
      .map((l) => l.slice(k.length + 1));
  return {
    hostName: values('hostname')[0],
    user: values('user')[0],
    port: Number(values('port')[0]),
    identityFilesRaw: values('identityfile'),
    identitiesOnly: values('identitiesonly')[0] === 'yes',
    proxyJumpRaw: values('proxyjump')[0],
  };
}

async function ours(file: string, alias: string) {
  const r = await resolveSshConfig(alias, { file, home: os.homedir(), localUser: os.userInfo().username });
  return {
    hostName: r.hostName,
    user: r.user,
    port: r.port,
    identityFilesRaw: r.identityFilesRaw,
    identitiesOnly: r.identitiesOnly,
    proxyJumpRaw: r.proxyJumpRaw,
  };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeckhandError);
  return (err as DeckhandError).code;
}

describe('resolveSshConfig agrees with ssh -G', () => {
  let dir: string;
  let main: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-sshcfg-'));
    fs.mkdirSync(path.join(dir, 'conf.d'));
    main = path.join(dir, 'config');
    fs.writeFileSync(
      main,
      `# a comment, then options before any Host apply to every host
ServerAliveInterval 30
Include ${dir}/conf.d/*.conf
Host web-? !web-9
  HostName %h.prod.example.com
  User deploy
  IdentityFile ~/.ssh/id_%r_%h
Host web-*
  Port 2222
  IdentitiesOnly=yes
Match host *.prod.example.com !originalhost web-2
  IdentityFile "/keys/prod key"
  ProxyJump ops@bastion-1:2200,bastion-2
Match originalhost db-* user root
  User postgres
Match final host 10.1.*
  Port 6000
Host 10.1.0.7
  IdentityFile /keys/final-pass
Host bastion-*
  User ops
  ProxyJump none
Host *
  User fallback
  IdentityFile /keys/default
`,
    );
    fs.writeFileSync(
      path.join(dir, 'conf.d', '10-db.conf'),
      `Host db-1
  HostName 10.1.0.7
Host db-2
  HostName DB-2.Internal
  Port 2345
  Include ${dir}/conf.d/nested.inc
`,
    );
    // Included from inside "Host db-2": applies to db-2 only, and the active state is restored afterwards.
    fs.writeFileSync(path.join(dir, 'conf.d', 'nested.inc'), 'IdentityFile /keys/db-2\n');
    fs.writeFileSync(path.join(dir, 'conf.d', '20-web.conf'), 'Host web-1\n  Port 1022\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const alias of ['web-1', 'web-2', 'web-9', 'web-10', 'WEB-3', 'db-1', 'db-2', 'bastion-1', 'other']) {
    it(`resolves ${alias}`, async () => {
      expect(await ours(main, alias)).toEqual(sshG(main, alias));
    });
  }

  it('expands ~ and tokens in key paths the way ssh opens them', async () => {
    const r = await resolveSshConfig('web-1', { file: main, home: '/home/me', localUser: 'me' });
    expect(r.identityFiles).toEqual([
      '/home/me/.ssh/id_deploy_web-1.prod.example.com',
      '/keys/prod key',
      '/keys/default',
    ]);
    expect(r.proxyJump).toEqual([{ host: 'bastion-1', user: 'ops', port: 2200 }, { host: 'bastion-2' }]);
    expect(r.userKnownHostsFiles).toEqual(['/home/me/.ssh/known_hosts', '/home/me/.ssh/known_hosts2']);
  });

  it('lists the concrete hosts, across includes, without patterns', async () => {
    const names = (await listSshConfigHosts({ file: main })).map((h) => h.name);
    expect(names).toEqual(['db-1', 'db-2', 'web-1', '10.1.0.7']);
  });

  it('resolves a ProxyJump chain hop by hop', async () => {
    const target = await resolveSshConfig('web-1', { file: main, localUser: 'me' });
    const chain = await resolveJumpChain(target, { file: main, localUser: 'me' });
    expect(chain.map((h) => [h.alias, h.user, h.port])).toEqual([
      ['bastion-1', 'ops', 2200],
      ['bastion-2', 'ops', 22],
    ]);
  });
});

describe('resolveSshConfig beyond ssh -G', () => {
  let home: string;
  beforeAll(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-sshhome-'));
    fs.mkdirSync(path.join(home, '.ssh', 'hosts'), { recursive: true });
  });
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));
  const write = (rel: string, text: string) => fs.writeFileSync(path.join(home, '.ssh', rel), text);

  it('reads ~/.ssh/config by default, with relative Include paths under ~/.ssh', async () => {
    write('config', 'Include hosts/*\nHost *\n  User nobody\n');
    write('hosts/a', 'Host app\n  HostName 192.0.2.10\n  IdentityFile ${KEYS}/app\n');
    const r = await resolveSshConfig('app', { home, systemFile: false, localUser: 'me', env: { KEYS: '/k' } });
    expect([r.hostName, r.user, r.identityFiles]).toEqual(['192.0.2.10', 'nobody', ['/k/app']]);
  });

  it('refuses a Match exec it would have to run, names the line, and ignores one after a failed criterion', async () => {
    write('config', 'Match host nothere exec "true"\n  User x\nMatch exec "test -e /etc"\n  User y\n');
    const p = resolveSshConfig('app', { home, systemFile: false, localUser: 'me' });
    await expect(p).rejects.toThrow(/config line 3: "Match exec test -e \/etc"/);
    expect(await codeOf(p)).toBe('ssh_config_unsupported');
  });

  it('refuses unknown Match criteria and bad values, naming file and line', async () => {
    write('config', 'Match tagged x\n  User x\n');
    expect(await codeOf(resolveSshConfig('a', { home, systemFile: false }))).toBe('ssh_config_unsupported');
    write('config', 'Host a\n  Port none\n');
    await expect(resolveSshConfig('a', { home, systemFile: false })).rejects.toThrow(/config line 2: Port "none"/);
    expect(await codeOf(resolveSshConfig('a', { file: path.join(home, 'nope') }))).toBe('ssh_config_not_found');
  });

  it('notes what deckhand will not honour, and refuses a jump chain longer than three hops', async () => {
    write('config', 'Host h\n  ForwardAgent yes\n  ProxyJump j1,j2\nHost j1\n  ProxyJump j0,jx\n');
    const r = await resolveSshConfig('h', { home, systemFile: false });
    expect(r.notes.join(' ')).toMatch(/never forwards an agent/);
    expect(await codeOf(resolveJumpChain(r, { home, systemFile: false }))).toBe('too_many_jumps');
  });
});
