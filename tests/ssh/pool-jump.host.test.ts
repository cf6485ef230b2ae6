import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/ssh/exec.js';
import { SshPool, type ConnectionTarget, type PoolEvent } from '../../src/ssh/pool.js';
import { startNetnsHost, type NetnsHost } from '../helpers/netns-host.js';
import { sshdConfig } from '../helpers/netns-host-setup.js';
import { freePort } from '../helpers/sshd.js';
import { errorOf } from '../helpers/ssh-client.js';

// The bastion is a network-namespace host (its sshd on the namespace's address, reachable from here). The target is a
// second sshd inside the same namespace listening on 127.0.0.1:2222 there: from this machine, 127.0.0.1:2222 is
// another place entirely, so the target is reachable only through the bastion.
describe('SshPool through bastions', () => {
  let host: NetnsHost;
  let innerDir: string;
  let innerFp: string;
  let bastion: ConnectionTarget;
  let target: ConnectionTarget;
  const pools: SshPool[] = [];
  const newPool = (opts: { resolveVia?: (n: string) => ConnectionTarget | undefined; events?: PoolEvent[] } = {}) => {
    const pool = new SshPool({
      connectTimeoutMs: 5000,
      keepaliveIntervalMs: 15_000,
      env: {},
      ...(opts.resolveVia ? { resolveVia: opts.resolveVia } : {}),
      onEvent: (e) => opts.events?.push(e),
    });
    pools.push(pool);
    return pool;
  };

  beforeAll(async () => {
    host = await startNetnsHost({ dockerPresent: false });
    innerDir = fs.mkdtempSync(path.join('/tmp', `${host.name}-inner-`));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(innerDir, 'hostkey')]);
    fs.copyFileSync(`${host.privateKeyPath}.pub`, path.join(innerDir, 'authorized_keys'));
    fs.writeFileSync(path.join(innerDir, 'sshd_config'), sshdConfig(innerDir, '127.0.0.1', 2222));
    const cfg = path.join(innerDir, 'sshd_config');
    const r = await host.exec(`/usr/sbin/sshd -f ${cfg} -E ${innerDir}/sshd.log`);
    if (r.code !== 0) throw new Error(`inner sshd did not start: ${r.stderr}`);
    innerFp = execFileSync('ssh-keygen', ['-lf', path.join(innerDir, 'hostkey.pub')], { encoding: 'utf8' }).split(
      ' ',
    )[1] as string;
    const auth = { private_key_path: host.privateKeyPath };
    bastion = {
      name: 'bastion',
      host: host.ip,
      port: 22,
      user: 'root',
      auth,
      host_key_fingerprint: host.hostKeyFingerprint,
    };
    target = {
      name: 'inner',
      host: '127.0.0.1',
      port: 2222,
      user: 'root',
      auth,
      host_key_fingerprint: innerFp,
      via: bastion,
    };
  }, 60_000);
  afterAll(async () => {
    for (const p of pools) await p.close();
    const pid = innerDir ? Number(fs.readFileSync(path.join(innerDir, 'sshd.pid'), 'utf8').trim()) : 0;
    if (pid) process.kill(pid, 'SIGTERM');
    await host?.stop();
    if (innerDir) fs.rmSync(innerDir, { recursive: true, force: true });
  });

  it('reaches the target only through the bastion, and shares the bastion connection', async () => {
    const events: PoolEvent[] = [];
    const pool = newPool({ events });
    // Directly, 127.0.0.1:2222 here is not the target.
    const direct = await errorOf(pool.acquire({ ...target, via: undefined, name: 'direct' }));
    expect(direct.code).toBe('connection_refused');
    const a = await pool.acquire(target);
    const b = await pool.acquire({ ...target, name: 'inner-2' });
    const out = await run(a.client, 'echo "$SSH_CONNECTION"; hostname', { timeoutMs: 15_000 });
    expect(out.stdout).toMatch(new RegExp(`^127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 2222\\n${host.name}\\n$`));
    expect(pool.connectionCount('bastion')).toBe(1);
    expect(events.filter((e) => e.type === 'connect').map((e) => [e.server, 'via' in e ? e.via : undefined])).toEqual([
      ['bastion', undefined],
      ['inner', 'bastion'],
      ['inner-2', 'bastion'],
    ]);
    a.release();
    b.release();
  });

  it('checks every hop’s host key', async () => {
    const pool = newPool();
    const wrongTarget = await errorOf(
      pool.acquire({ ...target, name: 'x', host_key_fingerprint: host.hostKeyFingerprint }),
    );
    expect([wrongTarget.code, wrongTarget.message]).toEqual(['host_key_mismatch', expect.stringContaining('"x"')]);
    const badBastion = { ...bastion, name: 'bad-bastion', host_key_fingerprint: innerFp };
    const wrongBastion = await errorOf(pool.acquire({ ...target, via: badBastion }));
    expect(wrongBastion.code).toBe('host_key_mismatch');
    expect(wrongBastion.message).toMatch(/^At bastion root@.* \(server "bad-bastion"\), on the way to server "inner"/);
  });

  it('tells a dead bastion from a dead target behind a live one', async () => {
    const pool = newPool();
    const deadBastion = { ...bastion, name: 'gone', host: '127.0.0.1', port: await freePort() };
    const e1 = await errorOf(pool.acquire({ ...target, via: deadBastion }));
    expect(e1.code).toBe('bastion_unreachable');
    expect(e1.message).toContain('(server "gone"), on the way to server "inner"');
    expect(e1.hint).toMatch(/"inner" was not tried/);
    const e2 = await errorOf(pool.acquire({ ...target, port: 2999 }));
    expect(e2.code).toBe('connection_refused');
    expect(e2.message).toContain('bastion "bastion" could not open a connection to 127.0.0.1:2999 (server "inner")');
  });

  it('follows via by name, chains bastions, refuses loops and unknown names', async () => {
    // Two hops: the inner sshd is also a bastion for itself (127.0.0.1:2222 as seen from inside).
    const registry = new Map<string, ConnectionTarget>([
      ['bastion', bastion],
      ['hop2', { ...target, name: 'hop2', via: 'bastion' }],
      ['loop-a', { ...bastion, name: 'loop-a', via: 'loop-b' }],
      ['loop-b', { ...bastion, name: 'loop-b', via: 'loop-a' }],
    ]);
    const pool = newPool({ resolveVia: (n) => registry.get(n) });
    const lease = await pool.acquire({ ...target, name: 'deep', via: 'hop2' });
    expect((await run(lease.client, 'echo ok', { timeoutMs: 15_000 })).stdout).toBe('ok\n');
    expect([pool.connectionCount('bastion'), pool.connectionCount('hop2')]).toEqual([1, 1]);
    lease.release();
    expect((await errorOf(pool.acquire({ ...target, name: 'l', via: 'loop-a' }))).code).toBe('too_many_jumps');
    expect((await errorOf(pool.acquire({ ...target, name: 'u', via: 'nobody' }))).code).toBe('bastion_unknown');
    // A probe (add-server) goes through the bastion too and reports the target's key.
    expect(
      (await pool.probe({ ...target, name: 'probe', host_key_fingerprint: '' }, { expected: undefined })).fingerprint,
    ).toBe(innerFp);
  });

  it('drops the target connection with the bastion, and reconnects both on the next acquire', async () => {
    const pool = newPool();
    const first = await pool.acquire(target);
    first.release();
    const closed = new Promise<void>((r) => first.client.once('close', () => r()));
    // Kill the bastion's per-connection sshd processes (children of its listener).
    const listener = Number(fs.readFileSync(path.join(path.dirname(host.knownHostsPath), 'sshd.pid'), 'utf8').trim());
    execFileSync('pkill', ['-KILL', '-P', String(listener)]);
    await closed;
    const again = await pool.acquire(target);
    expect(again.connectionId).not.toBe(first.connectionId);
    expect((await run(again.client, 'echo back', { timeoutMs: 15_000 })).stdout).toBe('back\n');
    again.release();
  });
});
