// Updating a user's compose release on a netns Swarm host, as a user would: a service publishing a host-mode port
// updates (stop-first) and answers on the port; a release that can never be scheduled fails within a minute with the
// scheduler's words and rolls back while the previous release answers again; an explicit start-first that cannot work
// is kept, warned about and fails as fast; progress says each step as it happens; a failing release's error lists only
// its own tasks and log lines, not those of an earlier release that was rolled back.
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { waitJob, type JobView, useDeploySwarm } from '../helpers/deploy.js';
import { LOCAL_IMAGES } from '../helpers/images.js';
import { structured, textOf } from '../helpers/mcp.js';

const PORT = 8080;

/** A web service that answers its version on host port 8080; `extra` lines go under the service. */
function release(version: string, opts: { extra?: string[]; exit?: number } = {}): string {
  const serve = 'mkdir -p /w && echo "$$V" > /w/index.html && exec httpd -f -p 80 -h /w';
  // A broken release says so on stdout, then exits: its log lines and task errors are its own.
  const run = opts.exit === undefined ? serve : `echo "$$V is broken"; exit ${opts.exit}`;
  return [
    'services:',
    '  web:',
    `    image: ${LOCAL_IMAGES.busybox}`,
    `    command: ["sh", "-c", ${JSON.stringify(run)}]`,
    '    environment:',
    `      V: ${version}`,
    '    ports:',
    `      - {target: 80, published: ${PORT}, mode: host}`,
    '    healthcheck:',
    '      test: ["CMD-SHELL", "wget -qO- http://127.0.0.1/ >/dev/null || exit 1"]',
    '      interval: 2s',
    '      timeout: 2s',
    '      retries: 3',
    '      start_period: 2s',
    ...(opts.extra ?? []),
    '',
  ].join('\n');
}

describe('deploy-app: updates of a host-port service, unschedulable releases, progress, failure reports', () => {
  // A budget well under the default 900 s: a deploy that waits it out fails these tests instead of hanging them.
  const fx = useDeploySwarm({ DECKHAND_DEPLOY_WAIT_S: '100' });
  const timings: Record<string, number> = {};

  const answer = async (): Promise<string> => {
    try {
      const r = await fetch(`http://${fx.host.ip}:${PORT}/`, { signal: AbortSignal.timeout(5000) });
      return (await r.text()).trim();
    } catch (err) {
      return `no answer (${String(err)})`;
    }
  };
  const sh = fx.sh;

  /** deploy-app with progress notifications, waiting on the job until it ends; `ms` is how long it all took. */
  const deploy = async (compose: string) => {
    const progress: Progress[] = [];
    const started = Date.now();
    const r = await fx.mcp.client.callTool(
      { name: 'deploy-app', arguments: { server: 'box', compose, name: 'mine', sync_wait_s: 150 } },
      undefined,
      { onprogress: (p) => progress.push(p), timeout: 170_000, resetTimeoutOnProgress: true },
    );
    const answered = structured<{ job_id: string; status: string }>(r as never);
    const job = ['queued', 'running'].includes(answered.status)
      ? await waitJob(fx.mcp, answered.job_id)
      : await view(answered.job_id);
    return { job, ms: Date.now() - started, messages: progress.map((p) => p.message ?? '') };
  };
  const view = async (id: string): Promise<JobView> =>
    structured<{ job: JobView }>(await fx.mcp.call('get-job-status', { job_id: id, tail_logs: 0 })).job;

  afterAll(() => console.log(`deploy timings (ms): ${JSON.stringify(timings)}`));

  it('updates v1 → v2 of a service with a host-mode port (stop-first), answering on the port, step by step', async () => {
    const v1 = await deploy(release('v1'));
    timings.first_release = v1.ms;
    expect(v1.job.status, JSON.stringify(v1.job.error)).toBe('completed');
    expect(await answer()).toBe('v1');
    expect(await sh(`docker service inspect mine_web --format '{{.Spec.UpdateConfig.Order}}'`)).toBe('stop-first');

    const v2 = await deploy(release('v2'));
    timings.host_port_update = v2.ms;
    expect(v2.job.status, JSON.stringify(v2.job.error)).toBe('completed');
    expect(v2.ms).toBeLessThan(90_000);
    expect(await answer()).toBe('v2');
    expect(v2.job.progress).toMatchObject({ step: 'done', percent: 100 });

    // Progress said each step as it happened, in order, with the service's replicas and newest task state.
    const steps = v2.messages.map((m) => /\[(\w+)(?: mine)?[:\]]/.exec(m)?.[1]).filter(Boolean);
    const order = ['preflight', 'lock', 'upload', 'deploy', 'wait', 'record'];
    const firsts = order.map((s) => steps.indexOf(s));
    expect(
      firsts.every((i) => i >= 0),
      JSON.stringify(v2.messages),
    ).toBe(true);
    expect([...firsts].sort((a, b) => a - b)).toEqual(firsts);
    expect(v2.messages.some((m) => /\[(wait|health) mine: web [01]\/1 → 1\/1 \(task \w+\)\]/.test(m))).toBe(true);
    expect(v2.messages.join('\n')).not.toMatch(/\[deploy mine.*checking Docker/);
  }, 200_000);

  it("fails a release that can never be scheduled within a minute, in the scheduler's words, and rolls back", async () => {
    const never = release('v3', {
      extra: ['    deploy:', '      placement:', '        constraints: [node.labels.deckhand-test == never]'],
    });
    const v3 = await deploy(never);
    timings.unschedulable_fail_and_rollback = v3.ms;
    expect(v3.job.status).toBe('failed');
    expect(v3.ms).toBeLessThan(60_000);
    expect(v3.job.error?.message).toMatch(
      /service mine_web failed \(a new task cannot be scheduled: no suitable node \(scheduling constraints not satisfied on 1 node\), for \d+ s\)/,
    );
    expect(v3.job.error?.message).toMatch(/Rolled back to release \w{12} \(deployed .*\), which is running again\./);
    expect(v3.job.progress.step).toBe('rollback mine');
    expect(v3.messages.some((m) => /\[rollback mine: to release \w{12}/.test(m))).toBe(true);
    expect(await answer()).toBe('v2');
  }, 200_000);

  it('keeps an explicit start-first that cannot work, warns about it, and fails as fast', async () => {
    const forced = release('v3b', { extra: ['    deploy:', '      update_config:', '        order: start-first'] });
    const v3b = await deploy(forced);
    timings.explicit_start_first_fail_and_rollback = v3b.ms;
    expect(v3b.job.status).toBe('failed');
    expect(v3b.ms).toBeLessThan(60_000);
    expect(v3b.job.error?.message).toMatch(/no suitable node \(host-mode port already in use on 1 node\)/);
    const log = structured<{ logs: { text: string }[] }>(
      await fx.mcp.call('get-job-status', { job_id: v3b.job.id, tail_logs: 1000 }),
    ).logs.map((l) => l.text);
    expect(log).toContainEqual(
      expect.stringMatching(
        /mine: note: service web: update_config\.order start-first cannot work: it publishes host-mode port 8080/,
      ),
    );
    expect(await answer()).toBe('v2');
  }, 200_000);

  it("lists only the failing release's own task errors and log lines, not an earlier rolled-back release's", async () => {
    const crashed = await deploy(release('v4', { exit: 3 }));
    timings.crash_fail_and_rollback = crashed.ms;
    expect(crashed.job.status).toBe('failed');
    expect(crashed.job.error?.message).toMatch(/non-zero exit \(3\)/);
    expect(crashed.job.error?.message).toMatch(/v4 is broken/);
    expect(await answer()).toBe('v2');

    const broken = await deploy(release('v5', { exit: 5 }));
    timings.second_crash_fail_and_rollback = broken.ms;
    const message = broken.job.error?.message ?? '';
    expect(broken.job.status).toBe('failed');
    expect(message).toMatch(/non-zero exit \(5\)/);
    expect(message).toMatch(/v5 is broken/);
    expect(message).not.toMatch(/exit \(3\)|v4 is broken/);
    expect(await answer()).toBe('v2');
  }, 300_000);

  it('leaves the last good release recorded', async () => {
    const listed = structured<{ deployed: { stack: string; status: string }[] }>(
      await fx.mcp.call('list-apps', { server: 'box' }),
    );
    expect(listed.deployed).toContainEqual(expect.objectContaining({ stack: 'mine', status: 'running' }));
    expect(textOf(await fx.mcp.call('list-jobs', { limit: 50 }))).toMatch(/deploy-app/);
  });
});
