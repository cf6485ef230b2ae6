// Proves the network-namespace test host: real sshd with a pinned host key, a Docker engine + Swarm of its own,
// local stand-in images that converge as services, and a teardown that leaves nothing behind.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureLocalImages, imageCachePath, LOCAL_IMAGES } from '../helpers/images.js';
import { type NetnsHost, startNetnsHost } from '../helpers/netns-host.js';
import { cgroupHierarchies, isAlive, pidsMentioning, run, runSync } from '../helpers/netns-host-sys.js';
import { waitFor } from '../helpers/wait.js';

function ssh(host: NetnsHost, cmd: string, knownHosts = host.knownHostsPath) {
  return run('ssh', [
    ...[
      '-i',
      host.privateKeyPath,
      '-p',
      String(host.sshPort),
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
    ],
    ...['-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=10'],
    `${host.user}@${host.ip}`,
    cmd,
  ]);
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (e) => resolve({ status: 0, body: String(e) }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

async function pollHttp200(url: string, timeoutMs: number): Promise<string> {
  let last = { status: 0, body: '' };
  const body = await waitFor(
    async () => {
      last = await httpGet(url);
      return last.status === 200 && last.body;
    },
    `${url} to answer 200`,
    timeoutMs,
    250,
  ).catch(() => undefined);
  if (body === undefined)
    throw new Error(`${url} never answered 200 within ${timeoutMs} ms; last: ${last.status} ${last.body}`);
  return body;
}

/** Nothing of the host may survive stop(): namespace, veth, processes, cgroups, dir, mounts. */
function expectGone(name: string, dir: string): void {
  expect(runSync('ip', ['netns', 'list']).stdout.split(/\s/)).not.toContain(name);
  expect(existsSync(`/run/netns/${name}`)).toBe(false);
  expect(pidsMentioning(dir)).toEqual([]);
  for (const h of cgroupHierarchies()) expect(existsSync(join(h.mount, name))).toBe(false);
  expect(existsSync(dir)).toBe(false);
  expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(dir);
}

describe('netns host, sshd only, no Docker on the host', () => {
  let host: NetnsHost;
  beforeAll(async () => {
    host = await startNetnsHost({ dockerPresent: false });
  });
  afterAll(() => host?.stop());
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(host?.logs());
  });

  it('answers an SSH command, pinned to its host key, without docker on the PATH', async () => {
    const r = await ssh(host, 'hostname; id -u; command -v docker dockerd || echo no-docker');
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual([host.name, '0', 'no-docker', '']);
  });

  it('reports the fingerprint ssh-keygen prints for the key the server presents', async () => {
    expect(host.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const scan = await run('sh', ['-c', `ssh-keyscan -t ed25519 ${host.ip} 2>/dev/null | ssh-keygen -lf -`]);
    expect(scan.stdout.split(' ')[1]).toBe(host.hostKeyFingerprint);
    const other = join(host.knownHostsPath, '..', 'otherkey');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const wrong = readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    writeFileSync(`${other}.known_hosts`, `${host.ip} ${wrong}\n`);
    const refused = await ssh(host, 'true', `${other}.known_hosts`);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED[\s\S]*Host key verification failed/);
  });

  it('keeps what runs over SSH away from this machine (copy-on-write system dirs)', async () => {
    const probe = `/etc/${host.name}-probe`;
    expect((await ssh(host, `echo x > ${probe} && cat ${probe}`)).stdout).toBe('x\n');
    expect(existsSync(probe)).toBe(false);
  });
});

describe('netns host with its own Docker engine and Swarm', () => {
  let host: NetnsHost;
  let dir: string;
  beforeAll(async () => {
    host = await startNetnsHost({ docker: true, swarm: true });
    dir = join(host.privateKeyPath, '..');
    console.info(`netns host ${host.name} (${host.ip}) started, ms:`, host.timings);
  }, 90_000);
  afterAll(() => host?.stop());
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(host?.logs());
  });

  it('runs docker over SSH against its own engine, Swarm active', async () => {
    const r = await ssh(host, `docker info --format '{{.Swarm.LocalNodeState}} {{.Name}} {{.DockerRootDir}}'`);
    expect(r.stdout.trim()).toBe(`active ${host.name} ${dir}/docker/data`);
    expect(existsSync(host.dockerSock ?? '')).toBe(true);
  });

  it('has the local images and converges services that answer HTTP 200 on the host address', async () => {
    const t0 = Date.now();
    const listImages = async () =>
      (await host.exec(`docker image ls --format '{{.Repository}}:{{.Tag}}'`)).stdout
        .split('\n')
        .filter(Boolean)
        .sort();
    await ensureLocalImages(host, { rebuild: true }); // docker import + docker build, then cached
    expect(await listImages()).toEqual(Object.values(LOCAL_IMAGES).sort());
    const built = Date.now() - t0;
    expect(existsSync(imageCachePath())).toBe(true);
    await host.exec(`docker image rm ${Object.values(LOCAL_IMAGES).join(' ')}`);
    await ensureLocalImages(host); // from the cache
    await ensureLocalImages(host); // idempotent
    expect(await listImages()).toEqual(Object.values(LOCAL_IMAGES).sort());
    const images = Date.now() - t0;
    console.info(`images built in ${built} ms, removed and loaded from the cache in ${images - built} ms`);
    const create = [
      `docker service create -d -q --no-resolve-image --name whoami --publish mode=host,target=80,published=8080 ${LOCAL_IMAGES.whoami}`,
      `docker service create -d -q --no-resolve-image --name traefik --publish mode=host,target=80,published=80 --publish mode=host,target=443,published=443 --mount type=bind,src=/var/run/docker.sock,dst=/var/run/docker.sock ${LOCAL_IMAGES.traefik}`,
    ];
    for (const c of create) expect((await ssh(host, c)).code).toBe(0);
    expect(await pollHttp200(`http://${host.ip}:8080/`, 60_000)).toMatch(/^Hostname: [0-9a-f]{12}\n/);
    expect(await pollHttp200(`http://${host.ip}:80/ping`, 30_000)).toBe('OK\n');
    expect(await pollHttp200(`http://${host.ip}:443/`, 30_000)).toBe('traefik stand-in\n');
    // Replicas count a task once its health check passes (2 s interval).
    let reps = '';
    const replicas = async () =>
      (reps = (await host.exec(`docker service ls --format '{{.Name}} {{.Replicas}}'`)).stdout
        .trim()
        .split('\n')
        .sort()
        .join());
    await waitFor(async () => (await replicas()) === 'traefik 1/1,whoami 1/1', 'both services 1/1', 30_000, 250).catch(
      () => undefined,
    );
    expect(reps).toBe('traefik 1/1,whoami 1/1');
    console.info(`images ${images} ms, services answering after ${Date.now() - t0 - images} ms`);
  }, 120_000);

  it('stop() leaves no namespace, daemon, cgroup, mount or dir behind, and is idempotent', async () => {
    const dockerd = Number(readFileSync(join(dir, 'docker.pid'), 'utf8'));
    const t0 = Date.now();
    await host.stop();
    console.info(`stop took ${Date.now() - t0} ms`);
    await host.stop();
    expectGone(host.name, dir);
    expect(isAlive(dockerd)).toBe(false);
  }, 60_000);
});

describe('netns host start failure', () => {
  it('throws with the logs and leaves nothing behind', async () => {
    vi.resetModules();
    vi.doMock('../helpers/netns-host-setup.js', async (importOriginal) => ({
      ...(await importOriginal<typeof import('../helpers/netns-host-setup.js')>()),
      sshdConfig: () => 'NoSuchKeyword yes\n',
    }));
    try {
      const { startNetnsHost: start } = await import('../helpers/netns-host.js');
      const err = await start({ docker: true }).then(
        (h) => h.stop().then(() => new Error('started despite a broken sshd_config')),
        (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
      );
      expect(err.message).toMatch(
        /sshd exited[\s\S]*==== sshd\.log[^\n]*\n[^\n]*Bad configuration option: NoSuchKeyword/,
      );
      expect(err.message).toContain('==== dockerd.log');
      const [, name, dir] = /\((dkhns-\d+), (\/tmp\/dkhns-[^,]+), cleaned up\)/.exec(err.message) ?? [];
      expectGone(name ?? 'missing', dir ?? 'missing');
    } finally {
      vi.doUnmock('../helpers/netns-host-setup.js');
      vi.resetModules();
    }
  }, 60_000);
});
