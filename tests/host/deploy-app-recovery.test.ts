// A deckhand process SIGKILLed in the middle of a deploy: the next process re-runs the job from the start (every step is
// idempotent), adopts the lock the job took on the server, and finishes the deploy once.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addServer, deployEnv, httpGet, jobLog, prepareDeployHost, waitJob } from '../helpers/deploy.js';
import { tempHome } from '../helpers/home.js';
import { ensureLocalImages } from '../helpers/images.js';
import { startStdio, structured, type StdioSession } from '../helpers/mcp.js';
import { startNetnsHost, type NetnsHost } from '../helpers/netns-host.js';

describe('deploy-app across a crash of deckhand', () => {
  let host: NetnsHost;
  let home: { dir: string; cleanup(): void };
  let mcp: StdioSession;

  beforeAll(async () => {
    host = await startNetnsHost({ swarm: true });
    await Promise.all([ensureLocalImages(host), prepareDeployHost(host)]);
    home = tempHome();
    mcp = await startStdio(deployEnv(home.dir));
    await addServer(mcp, host);
  }, 120_000);
  afterAll(async () => {
    await mcp?.close();
    await host?.stop();
    home?.cleanup();
  }, 60_000);
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(mcp?.stderr(), host?.logs());
  });

  it('finishes a deploy whose process was killed after docker stack deploy, adopting its own lock', async () => {
    const id = structured<{ job_id: string }>(
      await mcp.call('deploy-app', { server: 'box', app: 'uptime-kuma', env: { TZ: 'Asia/Tokyo' }, sync_wait_s: 0 }),
    ).job_id;
    // Wait (on the log, not the clock) until the stack is being deployed, then kill deckhand without warning.
    let cursor = 0;
    const deadline = Date.now() + 60_000;
    for (let seen = false; !seen;) {
      const s = structured<{ logs: { text: string }[]; next_cursor: number; job: { status: string } }>(
        await mcp.call('get-job-status', { job_id: id, cursor, wait_s: 5, tail_logs: 100 }),
      );
      cursor = s.next_cursor;
      seen = s.logs.some((l) => /^uptime-kuma: docker stack deploy/.test(l.text));
      expect(s.job.status).toBe('running');
      if (Date.now() > deadline) throw new Error('the deploy never reached docker stack deploy');
    }
    process.kill(mcp.pid() as number, 'SIGKILL');
    await mcp.close().catch(() => undefined);
    expect((await host.exec('cat /opt/deckhand/apps/uptime-kuma/.lock/owner')).stdout).toContain(`"job":"${id}"`);

    mcp = await startStdio(deployEnv(home.dir));
    const job = await waitJob(mcp, id);
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(job.result).toMatchObject({
      changed: true,
      services: [{ name: 'uptime-kuma_uptime-kuma', replicas: '1/1' }],
    });
    const log = await jobLog(mcp, id);
    expect(log).toContain('uptime-kuma: this job already holds the deploy lock (resumed after a restart of deckhand)');
    expect(log.filter((l) => /is live/.test(l))).toHaveLength(1);

    const record = JSON.parse((await host.exec('cat /opt/deckhand/apps/uptime-kuma/release.json')).stdout) as {
      job_id: string;
    };
    expect(record.job_id).toBe(id);
    expect((await host.exec('ls -a /opt/deckhand/apps/uptime-kuma')).stdout).not.toContain('.lock');
    expect((await host.exec('cat /opt/deckhand/apps/uptime-kuma/current/.env')).stdout).toContain('TZ=Asia/Tokyo');
    const got = await httpGet(host, 'http://tasks.uptime-kuma_uptime-kuma:3001/');
    expect(got.status, got.body).toBe(200);
  }, 150_000);
});
