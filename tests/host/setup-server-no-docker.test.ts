// setup-server on a host without Docker (the harness hides every Docker binary): the install-Docker branch is taken.
// This machine has no internet, so the install itself must fail, at its step, saying why; what a real install does
// (download.docker.com's apt repository) stays untested offline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { startStdio, structured, textOf, type StdioSession } from '../helpers/mcp.js';
import { startNetnsHost, type NetnsHost } from '../helpers/netns-host.js';

interface JobView {
  status: string;
  error: { code: string; message: string } | null;
  result: { steps: { name: string; status: string; detail: string }[]; failed_step?: string };
}

describe('setup-server where Docker is missing', () => {
  let host: NetnsHost;
  let home: { dir: string; cleanup(): void };
  let mcp: StdioSession;

  async function setup(args: Record<string, unknown>): Promise<JobView> {
    const r = await mcp.call('setup-server', { server: 'bare', sync_wait_s: 0, ...args });
    expect(r.isError, textOf(r)).toBeFalsy();
    const id = structured<{ job_id: string }>(r).job_id;
    const deadline = Date.now() + 90_000;
    for (;;) {
      const s = structured<{ job: JobView }>(
        await mcp.call('get-job-status', { job_id: id, wait_s: 20, tail_logs: 0 }),
      );
      if (!['queued', 'running'].includes(s.job.status)) return s.job;
      if (Date.now() > deadline) throw new Error(`job ${id} still ${s.job.status}`);
    }
  }
  const statuses = (j: JobView) => Object.fromEntries(j.result.steps.map((s) => [s.name, s.status]));

  beforeAll(async () => {
    host = await startNetnsHost({ dockerPresent: false });
    // This machine's root .bashrc runs pyenv, whose rehash lock can stall each SSH session; see setup-host.ts.
    await host.exec(': > /root/.bashrc');
    home = tempHome();
    mcp = await startStdio({ DECKHAND_HOME: home.dir });
    const added = await mcp.call('add-server', {
      name: 'bare',
      host: host.ip,
      private_key_path: host.privateKeyPath,
      host_key_fingerprint: host.hostKeyFingerprint,
    });
    expect(added.isError, textOf(added)).toBeFalsy();
  }, 60_000);
  afterAll(async () => {
    await mcp?.close();
    await host?.stop();
    home?.cleanup();
  });

  it('a dry run sees that Docker would be installed', async () => {
    expect((await host.exec('command -v docker dockerd || echo none')).stdout.trim()).toBe('none');
    const job = await setup({ dry_run: true, components: ['docker'] });
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(statuses(job)).toMatchObject({ 'docker-engine': 'would-change', swarm: 'skipped', traefik: 'skipped' });
    expect(job.result.steps.find((s) => s.name === 'docker-engine')?.detail).toBe('Docker is not installed');
  });

  it('reaches the install step and fails there clearly (no network here)', async () => {
    const job = await setup({ components: ['docker'] });
    expect(job.status).toBe('failed');
    expect(job.result.failed_step).toBe('docker-engine');
    expect(statuses(job)).toMatchObject({
      facts: 'ok',
      'wait-for-boot': 'ok',
      'base-packages': 'ok',
      'docker-engine': 'failed',
    });
    expect(job.error?.code).toBe('docker_install_failed');
    expect(job.error?.message).toMatch(
      /Step "docker-engine" \(4\/10\) failed: Docker is not installed and installing it failed .*download\.docker\.com/,
    );
    // The install went as far as fetching Docker's signing key, then stopped: nothing half-installed.
    expect((await host.exec('ls /etc/apt/sources.list.d/docker.list 2>&1 || true')).stdout).toMatch(/No such file/);
  });
});
