// A deckhand process SIGKILLed in the middle of a deploy: the next process re-runs the job from the start (every step is
// idempotent), adopts the lock the job took on the server, and finishes the deploy once.
import { describe, expect, it } from 'vitest';
import { httpGet, jobLog, waitJob, useDeploySwarm } from '../helpers/deploy.js';
import { structured } from '../helpers/mcp.js';

describe('deploy-app across a crash of deckhand', () => {
  const fx = useDeploySwarm();

  it('finishes a deploy whose process was killed after docker stack deploy, adopting its own lock', async () => {
    const id = structured<{ job_id: string }>(
      await fx.mcp.call('deploy-app', { server: 'box', app: 'uptime-kuma', env: { TZ: 'Asia/Tokyo' }, sync_wait_s: 0 }),
    ).job_id;
    // Wait (on the log, not the clock) until the stack is being deployed, then kill deckhand without warning.
    let cursor = 0;
    const deadline = Date.now() + 60_000;
    for (let seen = false; !seen;) {
      const s = structured<{ logs: { text: string }[]; next_cursor: number; job: { status: string } }>(
        await fx.mcp.call('get-job-status', { job_id: id, cursor, wait_s: 5, tail_logs: 100 }),
      );
      cursor = s.next_cursor;
      seen = s.logs.some((l) => /^uptime-kuma: docker stack deploy/.test(l.text));
      expect(s.job.status).toBe('running');
      if (Date.now() > deadline) throw new Error('the deploy never reached docker stack deploy');
    }
    await fx.crash();
    expect((await fx.host.exec('cat /opt/deckhand/apps/uptime-kuma/.lock/owner')).stdout).toContain(`"job":"${id}"`);

    await fx.restart();
    const job = await waitJob(fx.mcp, id);
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(job.result).toMatchObject({
      changed: true,
      services: [{ name: 'uptime-kuma_uptime-kuma', replicas: '1/1' }],
    });
    const log = await jobLog(fx.mcp, id);
    expect(log).toContain('uptime-kuma: this job already holds the deploy lock (resumed after a restart of deckhand)');
    expect(log.filter((l) => /is live/.test(l))).toHaveLength(1);

    const record = JSON.parse((await fx.host.exec('cat /opt/deckhand/apps/uptime-kuma/release.json')).stdout) as {
      job_id: string;
    };
    expect(record.job_id).toBe(id);
    expect((await fx.host.exec('ls -a /opt/deckhand/apps/uptime-kuma')).stdout).not.toContain('.lock');
    expect((await fx.host.exec('cat /opt/deckhand/apps/uptime-kuma/current/.env')).stdout).toContain('TZ=Asia/Tokyo');
    const got = await httpGet(fx.host, 'http://tasks.uptime-kuma_uptime-kuma:3001/');
    expect(got.status, got.body).toBe(200);
  }, 150_000);
});
