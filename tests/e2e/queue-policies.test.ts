import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { startStdio, structured, textOf, type StdioSession } from '../helpers/mcp.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

interface Attempt {
  n: number;
  status: string;
  exit_code: number | null;
  error: { code: string } | null;
  log_lines: number;
}
interface Status {
  job: { id: string; status: string; attempts?: Attempt[]; max_attempts?: number; scheduled_for?: string };
  logs: { seq: number; stream: string; text: string }[];
  attempt?: number;
}

describe('queue policies on remote-bash, over a real sshd through the stdio binary', () => {
  let sshd: SshdHandle;
  let home: { dir: string; cleanup(): void };
  let mcp: StdioSession;

  beforeAll(async () => {
    sshd = await startSshd();
    home = tempHome();
    mcp = await startStdio({ DECKHAND_HOME: home.dir });
    const added = await mcp.call('add-server', {
      name: 'box',
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      private_key_path: sshd.clientKey,
    });
    expect(added.isError, textOf(added)).toBeFalsy();
  });
  afterAll(async () => {
    await mcp?.close();
    await sshd?.stop();
    home?.cleanup();
  });

  it('a command failing twice with exit 75, then succeeding, ends completed after 3 attempts with three logs', async () => {
    const counter = path.join(home.dir, 'runs');
    // The command counts its runs in a file: runs 1 and 2 exit 75 (EX_TEMPFAIL), run 3 succeeds. A secret env value
    // reaches every attempt.
    const command =
      `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; ` +
      'echo "run $n with $TOKEN"; [ "$n" -ge 3 ] || { echo "not yet" >&2; exit 75; }';
    const res = await mcp.call('remote-bash', {
      server: 'box',
      command,
      env: { TOKEN: 's3cret' },
      attempts: 3,
      retry_on: ['exit_code:75'],
      backoff: 'fixed',
      backoff_s: 0,
      mode: 'sync',
    });
    expect(res.isError, textOf(res)).toBeFalsy();
    const r = structured<{ status: string; exit_code: number; stdout: string; stderr: string; job_id: string }>(res);
    // The answer is the last attempt's: its output only.
    expect(r).toMatchObject({ status: 'completed', exit_code: 0, stdout: 'run 3 with s3cret', stderr: '' });
    expect(fs.readFileSync(counter, 'utf8').trim()).toBe('3');

    const st = structured<Status>(await mcp.call('get-job-status', { job_id: r.job_id, tail_logs: 100 }));
    expect(st.job.max_attempts).toBe(3);
    expect(st.job.attempts?.map((a) => [a.n, a.status, a.exit_code])).toEqual([
      [1, 'failed', 75],
      [2, 'failed', 75],
      [3, 'completed', 0],
    ]);
    expect(st.attempt).toBe(3);
    for (const n of [1, 2, 3]) {
      const one = structured<Status>(
        await mcp.call('get-job-status', { job_id: r.job_id, attempt: n, tail_logs: 100 }),
      );
      expect(one.attempt).toBe(n);
      expect(one.logs.filter((l) => l.stream === 'stdout').map((l) => l.text)).toEqual([`run ${n} with s3cret`]);
    }
    // One sequence from cursor 0: every attempt's lines in order.
    const all = structured<Status>(await mcp.call('get-job-status', { job_id: r.job_id, cursor: 0, tail_logs: 100 }));
    expect(all.logs.filter((l) => l.stream === 'stdout').map((l) => l.text)).toEqual([
      'run 1 with s3cret',
      'run 2 with s3cret',
      'run 3 with s3cret',
    ]);
    // The secret never reached the record or the log of any attempt, and its local copy is gone now the job ended.
    expect(JSON.stringify(st)).not.toContain('TOKEN=s3cret');
    expect(fs.existsSync(path.join(home.dir, 'jobs', r.job_id, 'env.json'))).toBe(false);
  });

  it('a failure retry_on does not name ends the job at its first attempt', async () => {
    const r = structured<{ status: string; exit_code: number; job_id: string }>(
      await mcp.call('remote-bash', { server: 'box', command: 'exit 3', attempts: 3, retry_on: ['exit_code:75'] }),
    );
    expect(r).toMatchObject({ status: 'failed', exit_code: 3 });
    const st = structured<Status>(await mcp.call('get-job-status', { job_id: r.job_id }));
    expect(st.job.attempts).toHaveLength(1);
  });

  it('delay_s: the call answers the job id at once; the job is scheduled, listed as such, and cancellable', async () => {
    const t0 = Date.now();
    const res = await mcp.call('remote-bash', { server: 'box', command: 'echo never', delay_s: 3600, priority: 'low' });
    expect(Date.now() - t0).toBeLessThan(10_000);
    const r = structured<{ status: string; job_id: string; scheduled_for?: string }>(res);
    expect(r.status).toBe('queued');
    expect(Date.parse(r.scheduled_for ?? '') - t0).toBeGreaterThan(3_590_000);
    expect(textOf(res)).toMatch(/scheduled for/);
    const listed = structured<{ jobs: { id: string; scheduled_for?: string; priority?: string }[] }>(
      await mcp.call('list-jobs', { status: 'scheduled' }),
    );
    expect(listed.jobs.map((j) => j.id)).toEqual([r.job_id]);
    expect(listed.jobs[0]).toMatchObject({ scheduled_for: r.scheduled_for, priority: 'low' });
    const cancelled = await mcp.call('cancel-job', { job_id: r.job_id });
    expect(cancelled.isError, textOf(cancelled)).toBeFalsy();
    const st = structured<Status>(await mcp.call('get-job-status', { job_id: r.job_id }));
    expect(st.job.status).toBe('cancelled');
    expect(structured<{ jobs: unknown[] }>(await mcp.call('list-jobs', { status: 'scheduled' })).jobs).toEqual([]);

    // A batch whose servers all wait for their start answers at once too (auto mode would otherwise wait 20 s).
    const t1 = Date.now();
    const batch = await mcp.call('remote-bash', { servers: ['box'], command: 'echo never', delay_s: 3600 });
    expect(Date.now() - t1).toBeLessThan(10_000);
    const bv = structured<{ status: string; job_id: string; batch: { servers: { status: string }[] } }>(batch);
    expect(bv.status).toBe('running');
    expect(bv.batch.servers.map((s) => s.status)).toEqual(['queued']);
    await mcp.call('cancel-job', { job_id: bv.job_id });
  });

  it('a batch gives each child the policy: an unreachable server is tried again, then fails with its code', async () => {
    const other = await startSshd();
    // The key outlives that sshd (its stop removes its files): the server is then unreachable, not misconfigured.
    const key = path.join(home.dir, 'gone-key');
    fs.copyFileSync(other.clientKey, key);
    fs.chmodSync(key, 0o600);
    const added = await mcp.call('add-server', {
      name: 'gone',
      host: other.host,
      port: other.port,
      user: other.user,
      private_key_path: key,
    });
    expect(added.isError, textOf(added)).toBeFalsy();
    await other.stop();
    const res = await mcp.call('remote-bash', {
      servers: ['box', 'gone'],
      command: 'echo hi',
      attempts: 2,
      retry_on: ['unreachable'],
      backoff: 'fixed',
      backoff_s: 0,
      mode: 'sync',
    });
    const b = structured<{ batch: { servers: { server: string; job_id: string; status: string }[] } }>(res).batch;
    const rows = new Map(b.servers.map((r) => [r.server, r]));
    expect(rows.get('box')?.status).toBe('completed');
    const gone = structured<Status>(await mcp.call('get-job-status', { job_id: rows.get('gone')!.job_id }));
    expect(gone.job.status).toBe('failed');
    expect(gone.job.attempts?.map((a) => [a.n, a.error?.code])).toEqual([
      [1, 'connection_refused'],
      [2, 'connection_refused'],
    ]);
    const box = structured<Status>(await mcp.call('get-job-status', { job_id: rows.get('box')!.job_id }));
    expect(box.job.max_attempts).toBe(2);
    expect(box.job.attempts).toHaveLength(1);
  });

  it('refuses retry arguments that cannot work, saying what to give', async () => {
    const noRule = await mcp.call('remote-bash', { server: 'box', command: 'true', attempts: 3 });
    expect(noRule.isError).toBe(true);
    expect(textOf(noRule)).toMatch(/invalid_argument[\s\S]*retry_on/);
    const both = await mcp.call('remote-bash', {
      server: 'box',
      command: 'true',
      delay_s: 5,
      not_before: '2030-01-01T00:00:00Z',
    });
    expect(textOf(both)).toMatch(/not both/);
    const badRule = await mcp.call('remote-bash', {
      server: 'box',
      command: 'true',
      attempts: 2,
      retry_on: ['exit 75'],
    });
    expect(textOf(badRule)).toMatch(/exit_code:N/);
  });
});
