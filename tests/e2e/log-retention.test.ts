import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobDir, JobLogWriter } from '../../src/jobs/job-log.js';
import { LowdbJobStore } from '../../src/jobs/store.js';
import * as T from '../../src/jobs/types.js';
import { tempHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';
import { CLI, startStdio, structured, textOf, type StdioSession } from '../helpers/mcp.js';

interface Status {
  logs: unknown[];
  total_lines: number;
  log_bytes: number;
  logs_removed?: { removed_at: string; reason: string; total_lines: number; log_bytes: number };
}

let home: { dir: string; cleanup(): void };
let session: StdioSession | undefined;
beforeEach(() => {
  home = tempHome();
});
afterEach(async () => {
  await session?.close();
  session = undefined;
  home.cleanup();
});

/** A finished job whose 40 lines were last written `ageDays` ago. */
async function finishedJob(ageDays: number): Promise<string> {
  const store = new LowdbJobStore(home.dir, { keepFinished: 1000, keepDays: 3650 });
  const j = await store.create({ type: 'remote-bash', server: 'web1', params: { command: 'seq 40' }, timeout_s: 60 });
  await store.update(j.id, (r) => T.exitJob(T.startJob(r, new Date()), 0, new Date()));
  const dir = jobDir(home.dir, j.id);
  const w = new JobLogWriter(dir, { maxBytes: 1 << 20 });
  for (let i = 1; i <= 40; i++) w.add('stdout', String(i), w.offsets.out + String(i).length + 1);
  w.close();
  const when = new Date(Date.now() - ageDays * 86_400_000);
  for (const name of fs.readdirSync(dir)) fs.utimesSync(path.join(dir, name), when, when);
  fs.utimesSync(dir, when, when);
  return j.id;
}

describe('log retention, end to end', () => {
  it('the executing deckhand removes expired logs; get-job-status, the log resource and the CLI say so', async () => {
    const old = await finishedJob(3);
    const recent = await finishedJob(0);
    // A record in the archive of a job that ended 100 days ago.
    const archiveStore = new LowdbJobStore(home.dir, { keepFinished: 0, keepDays: 3650 });
    const longAgo = new Date(Date.now() - 100 * 86_400_000);
    const ancient = await archiveStore.create(
      { type: 'remote-bash', server: 'web1', params: {}, timeout_s: 9 },
      longAgo,
    );
    await archiveStore.update(ancient.id, (r) => T.exitJob(T.startJob(r, longAgo), 0, longAgo));
    await archiveStore.prune(longAgo);
    expect(fs.readFileSync(path.join(home.dir, 'jobs-archive.jsonl'), 'utf8')).toContain(ancient.id);
    session = await startStdio({
      DECKHAND_HOME: home.dir,
      DECKHAND_JOB_LOGS_RETAIN_DAYS: '2',
      DECKHAND_JOBS_ARCHIVE_DAYS: '31',
    });

    let status: Status | undefined;
    await waitFor(async () => {
      status = structured<Status>(await session!.call('get-job-status', { job_id: old, tail_logs: 10 }));
      return status.logs_removed !== undefined;
    }, 'the first sweep to remove the expired log');
    expect(status).toMatchObject({ logs: [], total_lines: 40, log_bytes: 0 });
    expect(status!.logs_removed).toMatchObject({ total_lines: 40 });
    expect(status!.logs_removed!.reason).toContain('more than 2 days ago');
    const text = textOf(await session.call('get-job-status', { job_id: old }));
    expect(text).toMatch(/The log \(40 lines, .+\) was removed on .+: its job ended more than 2 days ago/);

    const fresh = structured<Status>(await session.call('get-job-status', { job_id: recent, tail_logs: 5 }));
    expect(fresh.logs).toHaveLength(5);
    expect(fresh.logs_removed).toBeUndefined();

    // The same housekeeping drops archived records past DECKHAND_JOBS_ARCHIVE_DAYS.
    await waitFor(
      async () => (await session!.call('get-job-status', { job_id: ancient.id })).isError === true,
      'the archived job past retention to be dropped',
    );
    expect(textOf(await session.call('get-job-status', { job_id: ancient.id }))).toContain('unknown_job');
    expect(fs.readFileSync(path.join(home.dir, 'jobs-archive.jsonl'), 'utf8')).not.toContain(ancient.id);

    const resource = await session.client.readResource({ uri: `deckhand://jobs/${old}/log` });
    expect((resource.contents[0] as { text: string }).text).toContain('[deckhand] The log (40 lines');

    const env = { PATH: process.env.PATH ?? '', HOME: home.dir, DECKHAND_HOME: home.dir, DECKHAND_LOG_LEVEL: 'warn' };
    const logs = spawnSync(process.execPath, [CLI, 'jobs', 'logs', old], { env, encoding: 'utf8' });
    expect(logs.status).toBe(0);
    expect(logs.stdout).toBe('');
    expect(logs.stderr).toContain('deckhand: The log (40 lines');
    const show = spawnSync(process.execPath, [CLI, 'jobs', 'show', old], { env, encoding: 'utf8' });
    expect(show.status).toBe(0);
    expect(show.stdout).toMatch(/ {2}log +The log \(40 lines, .+\) was removed on /);
  });
});
