// The whole story through one MCP process: create-server on the fake Hetzner API (whose server is a netns host with a
// real sshd and Docker engine) → setup-server → deploy-app → remote-bash → get-job-status on every job → undeploy-app →
// delete-server. The fake runs no cloud-init, so this test plays its part on the netns host, as tests/helpers/fake-cloud.ts
// does for its loopback machines: it installs the host key from the create request's user_data as sshd's key (then
// SIGHUP: sshd re-reads it) and authorizes the SSH keys the request named.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { deployEnv, httpGet, jobLog, prepareDeployHost, waitJob, type JobView } from '../helpers/deploy.js';
import { startFakeHetzner, type FakeHetzner } from '../helpers/fake-hetzner/index.js';
import { tempHome } from '../helpers/home.js';
import { ensureLocalImages, LOCAL_IMAGES } from '../helpers/images.js';
import { startStdio, structured, textOf, type StdioSession } from '../helpers/mcp.js';
import { startNetnsHost, type NetnsHost } from '../helpers/netns-host.js';
import { installSetupShims } from '../helpers/setup-host.js';

/** cloud-init's ssh_keys on the netns host: its sshd takes the injected host key; the request's SSH keys may log in. */
function playCloudInit(host: NetnsHost, fake: FakeHetzner, name: string): boolean {
  const s = [...fake.state.servers.values()].find((x) => x.name === name);
  if (!s?.userData) return false;
  const keys = (parse(s.userData) as { ssh_keys?: Record<string, string> }).ssh_keys;
  if (!keys?.ed25519_private || !keys.ed25519_public) throw new Error('user_data carries no ed25519 host key');
  const dir = path.dirname(host.privateKeyPath);
  fs.writeFileSync(path.join(dir, 'hostkey'), keys.ed25519_private, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'hostkey.pub'), `${keys.ed25519_public}\n`);
  const authorized = s.sshKeyIds.map((id) => fake.state.sshKeys.get(id)?.publicKey ?? '').filter(Boolean);
  fs.appendFileSync(path.join(dir, 'authorized_keys'), `${authorized.join('\n')}\n`);
  process.kill(Number(fs.readFileSync(path.join(dir, 'sshd.pid'), 'utf8')), 'SIGHUP');
  // Until sshd presents the new key (it re-executes itself on SIGHUP), so deckhand's first connection sees it.
  const want = execFileSync('ssh-keygen', ['-lf', path.join(dir, 'hostkey.pub')], { encoding: 'utf8' }).split(' ')[1];
  for (let i = 0; i < 200; i++) {
    let shown = '';
    try {
      shown = execFileSync('sh', ['-c', `ssh-keyscan -T 2 -t ed25519 ${host.ip} 2>/dev/null | ssh-keygen -lf -`], {
        encoding: 'utf8',
      });
    } catch {
      // sshd is between two lives
    }
    if (shown.split(' ')[1] === want) return true;
    execFileSync('sleep', ['0.05']);
  }
  throw new Error('sshd did not take the injected host key');
}

describe('the whole story: create-server → setup-server → deploy-app → undeploy-app → delete-server', () => {
  let host: NetnsHost;
  let fake: FakeHetzner;
  let home: { dir: string; cleanup(): void };
  let mcp: StdioSession;
  let booted = false;
  const jobs: Record<string, string> = {};

  const call = async (name: string, args: Record<string, unknown>) => {
    const r = await mcp.call(name, args, { timeoutMs: 180_000 });
    expect(r.isError, `${name}: ${textOf(r)}`).toBeFalsy();
    return r;
  };
  const runJob = async (tool: string, args: Record<string, unknown>): Promise<JobView> => {
    const id = structured<{ job_id: string }>(await call(tool, { ...args, sync_wait_s: 0 })).job_id;
    jobs[tool] = id;
    const job = await waitJob(mcp, id, 240_000);
    expect(job.status, `${tool}: ${JSON.stringify(job.error)}`).toBe('completed');
    return job;
  };

  beforeAll(async () => {
    host = await startNetnsHost({ docker: true });
    await Promise.all([ensureLocalImages(host), prepareDeployHost(host, { network: false })]);
    await installSetupShims(host);
    fake = await startFakeHetzner({ actionDurationMs: 1500, ipForServer: () => host.ip });
    fake.state.beforeRoute = () => {
      if (!booted) booted = playCloudInit(host, fake, 'story');
    };
    home = tempHome();
    mcp = await startStdio({
      ...deployEnv(home.dir),
      HCLOUD_TOKEN: fake.token,
      HCLOUD_ENDPOINT: fake.url,
      DECKHAND_PROVIDER_POLL_MS: '100',
      DECKHAND_TRAEFIK_IMAGE: LOCAL_IMAGES.traefik,
    });
  }, 120_000);
  afterAll(async () => {
    await mcp?.close();
    await fake?.close();
    await host?.stop();
    home?.cleanup();
  }, 60_000);
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(mcp?.stderr(), host?.logs());
  });

  it('creates the server, sets it up, deploys an app that answers, then removes it all', async () => {
    const created = await runJob('create-server', { name: 'story' });
    expect(created.result).toMatchObject({ host_key_trust: 'injected' });
    const servers = structured<{ servers: { name: string; host: string }[] }>(await call('list-servers', {}));
    expect(servers.servers).toContainEqual(expect.objectContaining({ name: 'story', host: host.ip }));

    await runJob('setup-server', { server: 'story', email: 'ops@example.test' });
    expect((await host.exec(`docker info --format '{{.Swarm.LocalNodeState}}'`)).stdout.trim()).toBe('active');

    const deployed = await runJob('deploy-app', { server: 'story', app: 'whoami' });
    expect(deployed.result).toMatchObject({ stack: 'whoami', changed: true, server: 'story' });
    const got = await httpGet(host, 'http://tasks.whoami_whoami/');
    expect(got.status, got.body).toBe(200);

    const ls = structured<{ status: string; stdout: string }>(
      await call('remote-bash', { server: 'story', command: "docker service ls --format '{{.Name}} {{.Replicas}}'" }),
    );
    expect(ls.status).toBe('completed');
    expect(ls.stdout.split('\n').sort()).toEqual(['traefik_traefik 1/1', 'whoami_whoami 1/1']);

    // Every step of every job can be followed in its log through get-job-status.
    const createSteps = (created.result?.steps as { name: string }[]).map((s) => s.name);
    const createLog = (await jobLog(mcp, jobs['create-server'] as string)).join('\n');
    for (const step of createSteps) expect(createLog, step).toContain(step);
    const setupJob = await waitJob(mcp, jobs['setup-server'] as string);
    const setupLog = (await jobLog(mcp, setupJob.id)).join('\n');
    for (const step of (setupJob.result?.steps as { name: string }[]).map((s) => s.name))
      expect(setupLog, step).toContain(step);
    const deployLog = await jobLog(mcp, deployed.id);
    for (const step of [
      /^preflight: .*, set up by setup-server$/,
      /uploading release/,
      /docker stack deploy/,
      /1\/1 running/,
      /is live/,
      /job completed/,
    ])
      expect(
        deployLog.some((l) => step.test(l)),
        `${step}\n${deployLog.join('\n')}`,
      ).toBe(true);

    const undeployed = structured<{ status: string }>(
      await call('undeploy-app', { server: 'story', app: 'whoami', confirm: true, sync_wait_s: 120 }),
    );
    expect(undeployed.status).toBe('completed');
    expect((await host.exec(`docker service ls --format '{{.Name}}'`)).stdout.trim()).toBe('traefik_traefik');

    const deleted = structured<{ status: string; result: Record<string, unknown> }>(
      await call('delete-server', { name: 'story', confirm: true, sync_wait_s: 60 }),
    );
    expect(deleted).toMatchObject({ status: 'completed', result: { deleted: true, inventory_removed: true } });
    expect(fake.state.findServerByName('story')).toBeUndefined();
    const after = structured<{ servers: { name: string }[] }>(await call('list-servers', {}));
    expect(after.servers.map((s) => s.name)).not.toContain('story');
    expect(fake.state.internalErrors).toEqual([]);
  }, 170_000);
});
