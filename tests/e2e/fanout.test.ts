// One command across many servers, through the MCP binary against real OpenSSH sshds on loopback (one per "server").
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { Deckhand, stdoutTexts } from '../helpers/jobs.js';
import { remoteProcessCount, uniqueSleep } from '../helpers/openssh.js';
import { waitFor } from '../helpers/wait.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

interface ChildRow {
  server: string;
  job_id: string;
  status: string;
  exit_code: number | null;
  error?: { code: string };
}
interface BatchView {
  job_id: string;
  status: string;
  total: number;
  counts: Record<string, number>;
  groups: { servers: string; count: number; status: string; exit_code: number | null; stdout: string }[];
  servers: ChildRow[];
  next_cursor?: number;
}
interface BatchAnswer {
  status: string;
  job_id: string;
  batch: BatchView;
}

const N = 11;

describe('fan-out: remote-bash on many servers', () => {
  let sshds: SshdHandle[];
  let home: { dir: string; cleanup(): void };
  let d: Deckhand;
  const names = Array.from({ length: N }, (_, i) => `web-${i + 1}`);
  let stamps: string;

  beforeAll(async () => {
    sshds = await Promise.all(names.map(() => startSshd()));
    home = tempHome();
    stamps = fs.mkdtempSync(path.join(home.dir, 'stamps-'));
    d = await Deckhand.start({ DECKHAND_HOME: home.dir, DECKHAND_MAX_JOBS: '8', DECKHAND_CONNECT_TIMEOUT_S: '3' });
    for (const [i, s] of sshds.entries()) {
      const tier = i % 2 === 0 ? 'a' : 'b';
      await d.ok('add-server', {
        name: names[i],
        host: s.host,
        port: s.port,
        user: s.user,
        private_key_path: s.clientKey,
        labels: { role: 'web', tier },
      });
    }
    // A twelfth server that was registered and then went away: its sshd is stopped, its port closed.
    const gone = await startSshd();
    const key = path.join(home.dir, 'web-12.key');
    fs.copyFileSync(gone.clientKey, key);
    await d.ok('add-server', {
      name: 'web-12',
      host: gone.host,
      port: gone.port,
      user: gone.user,
      private_key_path: key,
      labels: { role: 'web', tier: 'b' },
    });
    await gone.stop();
  });
  afterAll(async () => {
    await d?.mcp.close();
    await Promise.all((sshds ?? []).map((s) => s.stop()));
    home?.cleanup();
  });

  it('runs on 12 servers by selector: mixed exits grouped, failures first, an unreachable one failed with its code', async () => {
    const fails = new Set([2, 5]); // web-3 and web-6 exit 3
    const failing = [...fails].map((i) => sshds[i]!.port).join('|');
    const command = `p=\${SSH_CONNECTION##* }; case "$p" in ${failing}) echo bad; exit 3;; *) echo same;; esac`;
    const r = await d.ok<BatchAnswer>('remote-bash', { selector: 'role=web', command, sync_wait_s: 60 }, 90_000);
    expect(r.status).toBe('failed');
    const b = r.batch;
    expect(b.total).toBe(12);
    expect(b.counts).toMatchObject({ completed: 9, failed: 3 });
    const rows = new Map(b.servers.map((s) => [s.server, s]));
    expect(rows.get('web-12')).toMatchObject({ status: 'failed', error: { code: 'connection_refused' } });
    expect(rows.get('web-3')).toMatchObject({ status: 'failed', exit_code: 3 });
    // Failures are listed first.
    expect(b.servers.slice(0, 3).every((s) => s.status === 'failed')).toBe(true);
    const same = b.groups.find((g) => g.stdout === 'same');
    expect(same).toMatchObject({ count: 9, status: 'completed' });
    expect(same!.servers).toContain('web-1');
    expect(b.groups.find((g) => g.stdout === 'bad')).toMatchObject({ count: 2, exit_code: 3 });
    expect(JSON.stringify(r).length).toBeLessThan(20_000);
    // Each child is a normal job with its own log.
    const child = rows.get('web-1')!;
    const lines = stdoutTexts(await d.allLines(child.job_id));
    expect(lines).toEqual(['same']);
    const listed = await d.ok<{ jobs: { id: string; children?: Record<string, number> }[] }>('list-jobs', {});
    expect(listed.jobs.find((j) => j.id === r.job_id)?.children).toMatchObject({ completed: 9, failed: 3 });
    expect(listed.jobs.some((j) => j.id === child.job_id)).toBe(false);
  });

  it('names unknown servers and says where a selector is wrong, before anything starts', async () => {
    const unknown = await d.call('remote-bash', { servers: ['web-1', 'nope-1'], command: 'true' });
    expect(unknown.isError).toBe(true);
    expect(JSON.stringify(unknown.content)).toMatch(/Unknown server: nope-1.*Known servers: web-1/);
    const bad = await d.call('remote-bash', { selector: 'role=web,tier in (a', command: 'true' });
    expect(JSON.stringify(bad.content)).toMatch(/invalid_argument.*character/);
    const none = await d.call('remote-bash', { selector: 'role=db', command: 'true' });
    expect(JSON.stringify(none.content)).toMatch(/matches none.*role=web/);
  });

  it('rolls out in waves with serial: a wave starts only once the previous one ended', async () => {
    const command = `p=\${SSH_CONNECTION##* }; date +%s%N > ${stamps}/start-$p; sleep 0.5; date +%s%N > ${stamps}/end-$p`;
    const r = await d.ok<BatchAnswer>(
      'remote-bash',
      { servers: names.slice(0, 6), command, serial: '2', sync_wait_s: 60 },
      90_000,
    );
    expect(r.status).toBe('completed');
    const times = sshds.slice(0, 6).map((s) => ({
      start: Number(fs.readFileSync(path.join(stamps, `start-${s.port}`), 'utf8')),
      end: Number(fs.readFileSync(path.join(stamps, `end-${s.port}`), 'utf8')),
    }));
    for (let w = 1; w < 3; w++) {
      const prevEnd = Math.max(...times.slice((w - 1) * 2, w * 2).map((t) => t.end));
      const start = Math.min(...times.slice(w * 2, w * 2 + 2).map((t) => t.start));
      expect(start, `wave ${w}`).toBeGreaterThan(prevEnd);
    }
  });

  it('stops starting children once more than max_failures failed; the rest are cancelled', async () => {
    const r = await d.ok<BatchAnswer>(
      'remote-bash',
      { servers: names.slice(0, 6), command: 'exit 1', max_parallel: 1, max_failures: 1, sync_wait_s: 60 },
      90_000,
    );
    expect(r.status).toBe('failed');
    expect(r.batch.counts).toMatchObject({ failed: 2, cancelled: 4 });
  });

  it('cancels a batch: every running and queued child, no remote process left on any server', async () => {
    const n = uniqueSleep();
    const r = await d.ok<BatchAnswer>('remote-bash', {
      servers: names.slice(0, 4),
      command: `sleep ${n}`,
      max_parallel: 3,
      mode: 'background',
    });
    // Every "server" is this machine: one look counts the sleeps of all of them.
    await waitFor(() => remoteProcessCount(sshds[0]!, `sleep ${n}`) === 3, 'three children running');
    const c = await d.ok<{ job: { status: string } }>('cancel-job', { job_id: r.job_id }, 60_000);
    expect(['cancelled', 'running']).toContain(c.job.status);
    const done = await d.waitTerminal(r.job_id);
    expect(done.status).toBe('cancelled');
    expect(remoteProcessCount(sshds[0]!, `sleep ${n}`)).toBe(0);
  });

  it('lets a single call start as soon as a slot frees, ahead of a batch that fills every slot', async () => {
    // DECKHAND_MAX_JOBS is 8: 11 children of 1.5 s fill every slot and 3 wait; the single call, queued after
    // them, starts in the first slot that frees, not after the whole batch.
    const batch = await d.ok<BatchAnswer>('remote-bash', {
      servers: names,
      command: 'sleep 1.5',
      max_parallel: 11,
      mode: 'background',
    });
    await waitFor(async () => {
      const v = await d.ok<{ batch: BatchView }>('get-job-status', { job_id: batch.job_id });
      return v.batch.counts.running === 8;
    }, 'every slot taken by the batch');
    const single = await d.ok<{ job_id: string }>('remote-bash', {
      server: 'web-1',
      command: 'echo alone',
      mode: 'background',
    });
    const s = await d.waitTerminal(single.job_id);
    expect(s.status).toBe('completed');
    await d.waitTerminal(batch.job_id);
    const v = await d.ok<{ batch: BatchView }>('get-job-status', { job_id: batch.job_id });
    const starts: number[] = [];
    for (const row of v.batch.servers)
      starts.push(Date.parse((await d.status({ job_id: row.job_id })).job.started_at!));
    starts.sort((x, y) => x - y);
    // The three children that waited started after the single call did.
    expect(Date.parse(s.started_at!)).toBeLessThanOrEqual(starts[8]!);
  });

  it('survives a SIGKILL of deckhand mid-batch: after a restart every child completes once, every line once', async () => {
    const r = await d.ok<BatchAnswer>('remote-bash', {
      servers: names.slice(0, 6),
      command: 'for i in 1 2 3 4 5; do echo "line-$i"; sleep 0.3; done',
      mode: 'background',
    });
    await waitFor(async () => {
      const v = await d.ok<{ batch: BatchView }>('get-job-status', { job_id: r.job_id });
      return (v.batch.counts.running ?? 0) > 0;
    }, 'children running');
    await d.kill();
    d = await Deckhand.start({ DECKHAND_HOME: home.dir, DECKHAND_MAX_JOBS: '8', DECKHAND_CONNECT_TIMEOUT_S: '3' });
    const done = await d.waitTerminal(r.job_id, 90_000);
    expect(done.status).toBe('completed');
    const v = await d.ok<{ batch: BatchView }>('get-job-status', { job_id: r.job_id });
    for (const row of v.batch.servers) {
      expect(stdoutTexts(await d.allLines(row.job_id)), row.server).toEqual([1, 2, 3, 4, 5].map((i) => `line-${i}`));
    }
  });

  it('a batch answer stays small with many servers and pages through them', async () => {
    const r = await d.ok<BatchAnswer>(
      'remote-bash',
      { selector: 'role=web,tier=a', command: 'seq 1 5000', sync_wait_s: 60 },
      90_000,
    );
    expect(r.batch.total).toBe(6);
    expect(r.batch.groups[0]!.stdout).toContain('lines');
    expect(JSON.stringify(r).length).toBeLessThan(20_000);
  });
});
