// setup-server through the MCP process against a netns host with a real Docker engine (see tests/helpers/setup-host.ts
// for the two stand-ins it needs there: a docker CLI wrapper that records calls, and systemctl for restarting dockerd).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { ensureLocalImages, LOCAL_IMAGES } from '../helpers/images.js';
import { startStdio, structured, textOf, type StdioSession } from '../helpers/mcp.js';
import { startNetnsHost, type NetnsHost } from '../helpers/netns-host.js';
import { installSetupShims, type SetupHostShims } from '../helpers/setup-host.js';

interface Step {
  name: string;
  status: string;
  detail: string;
  duration_ms: number;
}
interface JobView {
  status: string;
  error: { code: string; message: string } | null;
  result: { steps: Step[]; failed_step?: string; changed?: number };
}

// Subcommands that only read. A dry run and a second run may call nothing else.
const READ_ONLY = /^(version|info|network inspect|volume inspect|service ls|service ps)\b/;

describe('setup-server on a host with a real Docker engine', () => {
  let host: NetnsHost;
  let shims: SetupHostShims;
  let home: { dir: string; cleanup(): void };
  let mcp: StdioSession;

  async function setup(args: Record<string, unknown>): Promise<JobView> {
    const r = await mcp.call('setup-server', { server: 'box', sync_wait_s: 0, ...args });
    expect(r.isError, textOf(r)).toBeFalsy();
    const id = structured<{ job_id: string }>(r).job_id;
    const deadline = Date.now() + 150_000;
    for (;;) {
      const s = structured<{ job: JobView }>(
        await mcp.call('get-job-status', { job_id: id, wait_s: 20, tail_logs: 0 }),
      );
      if (!['queued', 'running'].includes(s.job.status)) return s.job;
      if (Date.now() > deadline) {
        await mcp.call('cancel-job', { job_id: id });
        throw new Error(`setup-server job ${id} still ${s.job.status}: ${JSON.stringify(s.job.result)}`);
      }
    }
  }
  const statuses = (j: JobView) => Object.fromEntries(j.result.steps.map((s) => [s.name, s.status]));
  const sh = async (cmd: string) => (await host.exec(cmd)).stdout.trim();
  const state = async () => ({
    daemonJson: await sh(`cat $(dirname ${host.privateKeyPath})/daemon.json`),
    swarm: await sh(`docker info --format '{{.Swarm.LocalNodeState}}'`),
    network: await sh('docker network ls --format {{.Name}} | grep -c deckhand-public || true'),
    volumes: await sh('docker volume ls -q'),
    services: await sh('docker service ls -q 2>/dev/null'),
    files: await sh('ls -d /opt/deckhand /etc/deckhand 2>/dev/null || true'),
  });

  beforeAll(async () => {
    host = await startNetnsHost({ docker: true });
    await ensureLocalImages(host);
    shims = await installSetupShims(host);
    home = tempHome();
    mcp = await startStdio({ DECKHAND_HOME: home.dir, DECKHAND_TRAEFIK_IMAGE: LOCAL_IMAGES.traefik });
    const added = await mcp.call('add-server', {
      name: 'box',
      host: host.ip,
      user: 'root',
      private_key_path: host.privateKeyPath,
      host_key_fingerprint: host.hostKeyFingerprint,
    });
    expect(added.isError, textOf(added)).toBeFalsy();
  }, 180_000);
  afterAll(async () => {
    await mcp?.close();
    await host?.stop();
    home?.cleanup();
  }, 60_000);

  it('dry run: only checks, issues no mutating command, and answers the plan', async () => {
    const before = await state();
    const pid = await shims.dockerdPid();
    await shims.clearDockerCalls();
    const job = await setup({ dry_run: true, email: 'ops@example.test' });
    const calls = await shims.dockerCalls();
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(statuses(job)).toEqual({
      facts: 'ok',
      'wait-for-boot': 'ok',
      'base-packages': 'ok',
      'docker-engine': 'ok',
      'docker-daemon-config': 'would-change',
      swarm: 'would-change',
      network: 'would-change',
      volumes: 'would-change',
      traefik: 'would-change',
      record: 'would-change',
    });
    expect(calls.length).toBeGreaterThan(3); // the wrapper is in the session's PATH: it saw deckhand's calls
    expect(calls.filter((c) => !READ_ONLY.test(c))).toEqual([]);
    expect(await state()).toEqual(before);
    expect(await shims.dockerdPid()).toBe(pid);
  });

  it('first run: stops at the step that fails (named), and a rerun resumes from there', async () => {
    const pid = await shims.dockerdPid();
    await shims.failDocker('network create');
    const failed = await setup({ email: 'ops@example.test' });
    expect(failed.status).toBe('failed');
    expect(failed.result.failed_step, JSON.stringify(failed.error)).toBe('network');
    expect(failed.error?.message).toMatch(/Step "network" \(7\/10\) failed: .*injected failure: docker network create/);
    expect(statuses(failed)).toMatchObject({ 'docker-daemon-config': 'changed', swarm: 'changed', network: 'failed' });
    expect(failed.result.steps.map((s) => s.name)).not.toContain('traefik');
    // daemon.json got log rotation and dockerd was restarted once to apply it.
    expect(JSON.parse((await state()).daemonJson)).toMatchObject({
      'log-driver': 'json-file',
      'log-opts': { 'max-size': '10m' },
    });
    expect(await shims.dockerdPid()).not.toBe(pid);
    expect(await sh(`docker info --format '{{.Swarm.LocalNodeState}}'`)).toBe('active');

    await shims.clearFailure();
    const pidAfterRestart = await shims.dockerdPid();
    const resumed = await setup({ email: 'ops@example.test' });
    expect(resumed.status, JSON.stringify(resumed.error)).toBe('completed');
    expect(statuses(resumed)).toEqual({
      facts: 'ok',
      'wait-for-boot': 'ok',
      'base-packages': 'ok',
      'docker-engine': 'ok',
      'docker-daemon-config': 'ok',
      swarm: 'ok',
      network: 'changed',
      volumes: 'changed',
      traefik: 'changed',
      record: 'changed',
    });
    expect(await shims.dockerdPid()).toBe(pidAfterRestart);
    expect(await sh(`docker network inspect deckhand-public --format '{{.Driver}} {{.Attachable}}'`)).toBe(
      'overlay true',
    );
    expect(await sh(`docker service ls --format '{{.Name}} {{.Replicas}} {{.Image}}'`)).toBe(
      `traefik_traefik 1/1 ${LOCAL_IMAGES.traefik}`,
    );
    expect(JSON.parse(await sh('cat /etc/deckhand/setup.json'))).toMatchObject({
      version: 1,
      components: ['docker', 'swarm', 'traefik'],
      email: 'ops@example.test',
      network: 'deckhand-public',
      traefik: { image: LOCAL_IMAGES.traefik, stack: 'traefik' },
    });
  }, 240_000);

  it('second run changes nothing (all ok, no mutating command, no restart), remembering the email', async () => {
    const pid = await shims.dockerdPid();
    const before = await state();
    await shims.clearDockerCalls();
    const job = await setup({});
    const calls = await shims.dockerCalls();
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(new Set(Object.values(statuses(job)))).toEqual(new Set(['ok']));
    expect(job.result.changed).toBe(0);
    expect(calls.filter((c) => !READ_ONLY.test(c))).toEqual([]);
    expect(await shims.dockerdPid()).toBe(pid);
    expect(await state()).toEqual(before);
  }, 120_000);

  it('works as a user with passwordless sudo, and refuses one without', async () => {
    const hasSudo = await host.exec('command -v sudo');
    expect(hasSudo.code, 'sudo is missing on this machine: apt-get install -y sudo (.ci/run should install it)').toBe(
      0,
    );
    const made = await host.exec(
      // -p '*': no password, but not a locked account (sshd refuses locked ones).
      "useradd -m -p '*' -s /bin/sh deploy && useradd -m -p '*' -s /bin/sh nosudo && " +
        "echo 'deploy ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/deploy && chmod 440 /etc/sudoers.d/deploy && " +
        // sshd reads authorized keys as the user, who cannot read the harness's file: give each its own.
        `for u in deploy nosudo; do mkdir -p /home/$u/.ssh && cp $(dirname ${host.privateKeyPath})/clientkey.pub /home/$u/.ssh/authorized_keys && chown -R $u: /home/$u/.ssh; done`,
    );
    expect(made.code, made.stderr).toBe(0);
    for (const user of ['deploy', 'nosudo']) {
      const added = await mcp.call('add-server', {
        name: user,
        host: host.ip,
        user,
        private_key_path: host.privateKeyPath,
        host_key_fingerprint: host.hostKeyFingerprint,
      });
      expect(added.isError, textOf(added)).toBeFalsy();
    }
    const job = await setup({ server: 'deploy' });
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(new Set(Object.values(statuses(job)))).toEqual(new Set(['ok']));
    expect(job.result.steps[0]?.detail).toMatch(/as deploy with sudo/);
    const refused = await setup({ server: 'nosudo', dry_run: true });
    expect(refused.status).toBe('failed');
    expect(refused.result.failed_step).toBe('facts');
    expect(refused.error).toMatchObject({ code: 'needs_root' });
    expect(refused.error?.message).toMatch(/"nosudo" is not root and has no passwordless sudo/);
  }, 120_000);
});
