// deploy-app / undeploy-app / list-apps through the MCP process against a netns host with a real sshd, Docker engine and
// Swarm; catalogue images are swapped for local busybox-based ones (tests/helpers/deploy.ts). One app (uptime-kuma, which
// has a data volume) goes through its whole life: deploy, redeploy, a broken release rolled back, undeploy, remove data.
import { describe, expect, it } from 'vitest';
import { deploy, httpGet, jobLog, useDeploySwarm } from '../helpers/deploy.js';
import { structured, textOf } from '../helpers/mcp.js';

const URL = 'http://tasks.uptime-kuma_uptime-kuma:3001/';

describe('deploy-app on a real Docker Swarm over SSH', () => {
  const fx = useDeploySwarm();
  const sh = fx.sh;
  const serviceSpec = () =>
    sh(
      `docker service inspect uptime-kuma_uptime-kuma --format '{{.Version.Index}} {{json .Spec.TaskTemplate.ContainerSpec.Env}}'`,
    );

  it('deploys a catalogue app that answers HTTP 200, with its release recorded and the .env kept 0600', async () => {
    const job = await deploy(fx.mcp, { app: 'uptime-kuma', env: { TZ: 'Europe/Berlin' } });
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(job.result).toMatchObject({
      stack: 'uptime-kuma',
      app: 'uptime-kuma',
      changed: true,
      previous_release: null,
      services: [{ name: 'uptime-kuma_uptime-kuma', replicas: '1/1' }],
    });
    expect(job.params).toMatchObject({ app: 'uptime-kuma', stack: 'uptime-kuma', env_keys: ['TZ'] });
    expect(JSON.stringify(job.params)).not.toContain('Europe/Berlin');
    const got = await httpGet(fx.host, URL);
    expect(got.status, got.body).toBe(200);

    const release = job.result?.release as string;
    expect(await sh('stat -c %a /opt/deckhand/apps/uptime-kuma/current/.env')).toBe('600');
    expect(await sh('cat /opt/deckhand/apps/uptime-kuma/current/.env')).toContain('TZ=Europe/Berlin');
    const record = JSON.parse(await sh('cat /opt/deckhand/apps/uptime-kuma/release.json')) as Record<string, unknown>;
    expect(record).toMatchObject({ stack: 'uptime-kuma', app: 'uptime-kuma', app_version: '2.5.3', job_id: job.id });
    expect(String(record.hash).slice(0, 12)).toBe(release);

    const steps = await jobLog(fx.mcp, job.id);
    for (const step of [
      /^preflight: swarm active true, network overlay true swarm/,
      /uploading release/,
      /docker stack deploy/,
      /1\/1 running/,
      /is live/,
    ])
      expect(
        steps.some((l) => step.test(l)),
        `${step} in\n${steps.join('\n')}`,
      ).toBe(true);

    const listed = structured<{ deployed: Record<string, unknown>[] }>(
      await fx.mcp.call('list-apps', { server: 'box' }),
    );
    expect(listed.deployed).toEqual([
      expect.objectContaining({ stack: 'uptime-kuma', app: 'uptime-kuma', release, status: 'running', url: null }),
    ]);
  });

  it('redeploys with the same inputs without changing anything, and says so', async () => {
    const before = await serviceSpec();
    const r = await fx.mcp.call('deploy-app', { server: 'box', app: 'uptime-kuma', sync_wait_s: 60 });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(textOf(r)).toMatch(/already deployed and healthy; nothing changed/);
    expect(structured<{ status: string; result: { changed: boolean } }>(r)).toMatchObject({
      status: 'completed',
      result: { changed: false },
    });
    expect(await serviceSpec()).toBe(before); // the service spec was not even touched
  });

  it('rolls a broken release back: the job fails naming the service and its task errors, the old release still answers', async () => {
    const good = (await sh('readlink /opt/deckhand/apps/uptime-kuma/current')).trim();
    const job = await deploy(fx.mcp, { app: 'uptime-kuma', env: { TZ: 'Broken/Zone' } });
    expect(job.status).toBe('failed');
    expect(job.error?.code).toBe('deploy_failed');
    expect(job.error?.message).toMatch(/service uptime-kuma_uptime-kuma failed \(update (rollback|paused)/);
    expect(job.error?.message).toMatch(/last task errors of uptime-kuma_uptime-kuma: failed: .*unhealthy container/);
    expect(job.error?.message).toMatch(/Rolled back to release [0-9a-f]{12} .*, which is running again/);
    expect(job.error?.message).not.toContain('Broken/Zone'); // a value the user passed is secret too

    expect(await sh('readlink /opt/deckhand/apps/uptime-kuma/current')).toBe(good);
    expect(await sh('ls /opt/deckhand/apps/uptime-kuma/releases')).toBe(good.replace('releases/', ''));
    expect(
      await sh(
        `docker service inspect uptime-kuma_uptime-kuma --format '{{json .Spec.TaskTemplate.ContainerSpec.Env}}'`,
      ),
    ).toContain('TZ=Europe/Berlin');
    const got = await httpGet(fx.host, URL);
    expect(got.status, got.body).toBe(200);
    const listed = structured<{ deployed: { status: string }[] }>(await fx.mcp.call('list-apps', { server: 'box' }));
    expect(listed.deployed[0]?.status).toBe('running');
  }, 170_000);

  it('undeploy-app needs a confirmation, removes the stack and waits for its tasks and networks, keeping the volume', async () => {
    const refused = await fx.mcp.call('undeploy-app', { server: 'box', app: 'uptime-kuma' });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/confirmation_required/);
    expect(await sh('docker service ls -q | wc -l')).toBe('1');

    const r = await fx.mcp.call('undeploy-app', { server: 'box', app: 'uptime-kuma', confirm: true, sync_wait_s: 120 });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(structured(r)).toMatchObject({
      status: 'completed',
      result: { stack: 'uptime-kuma', volumes_removed: [], volumes_kept: ['uptime-kuma_data'] },
    });
    // Gone when the job says so, not eventually.
    expect(await sh('docker service ls -q --filter label=com.docker.stack.namespace=uptime-kuma | wc -l')).toBe('0');
    expect(await sh('docker ps -aq --filter label=com.docker.stack.namespace=uptime-kuma | wc -l')).toBe('0');
    expect(await sh('docker network ls -q --filter label=com.docker.stack.namespace=uptime-kuma | wc -l')).toBe('0');
    expect(await sh('docker volume ls -q')).toContain('uptime-kuma_data');
    expect(await sh('ls /opt/deckhand/apps')).toBe('');
    const listed = structured<{ deployed: unknown[] }>(await fx.mcp.call('list-apps', { server: 'box' }));
    expect(listed.deployed).toEqual([]);
  });

  it('undeploy-app with remove_data removes the volume too', async () => {
    const r = await fx.mcp.call('undeploy-app', {
      server: 'box',
      app: 'uptime-kuma',
      remove_data: true,
      confirm: true,
      sync_wait_s: 120,
    });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(structured(r)).toMatchObject({ status: 'completed', result: { volumes_removed: ['uptime-kuma_data'] } });
    expect(await sh('docker volume ls -q')).not.toContain('uptime-kuma_data');
    const again = await fx.mcp.call('undeploy-app', {
      server: 'box',
      app: 'uptime-kuma',
      confirm: true,
      sync_wait_s: 60,
    });
    expect(structured<{ status: string; error: { code: string } }>(again)).toMatchObject({
      status: 'failed',
      error: { code: 'not_deployed' },
    });
  });
});
