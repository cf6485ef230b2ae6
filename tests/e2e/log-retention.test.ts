import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobDir } from '../../src/jobs/log/file-store.js';
import { FileLogWriter } from '../../src/jobs/log/writer.js';
import type { Stores } from '../../src/jobs/store/contract.js';
import { openStores } from '../../src/jobs/store/open.js';
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
let stores: Stores;
beforeEach(async () => {
  home = tempHome();
  stores = await openStores({ home: home.dir }, { instance: { id: 'inst_seed', host: 'test', pid: process.pid } });
});
afterEach(async () => {
  await session?.close();
  session = undefined;
  await stores.close();
  home.cleanup();
});

/** A job that ran and ended at `when`. */
async function ended(when: Date, params: Record<string, unknown>): Promise<T.Job> {
  const spec = { id: T.newJobId(when.getTime()), type: 'remote-bash', server: 'web1', params, timeout_s: 60 };
  const [j] = await stores.jobs.create([spec], when.getTime());
  return (await stores.jobs.update(j!.id, (r) => T.exitJob(T.startJob(r, when), 0, when)))!;
}

/** A finished job whose 40 lines were last written `ageDays` ago. */
async function finishedJob(ageDays: number): Promise<string> {
  const j = await ended(new Date(), { command: 'seq 40' });
  const dir = jobDir(home.dir, j.id);
  const w = new FileLogWriter(dir, { maxBytes: 1 << 20 });
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
    // The record of a job that ended 100 days ago.
    const ancient = await ended(new Date(Date.now() - 100 * 86_400_000), {});
    expect(await stores.jobs.get(ancient.id)).toBeDefined();
    session = await startStdio({
      DECKHAND_HOME: home.dir,
      DECKHAND_JOB_LOGS_RETAIN_DAYS: '2',
      DECKHAND_JOBS_RETAIN_DAYS: '31',
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

    // The same housekeeping deletes finished records past DECKHAND_JOBS_RETAIN_DAYS.
    await waitFor(
      async () => (await session!.call('get-job-status', { job_id: ancient.id })).isError === true,
      'the job record past retention to be deleted',
    );
    expect(textOf(await session.call('get-job-status', { job_id: ancient.id }))).toContain('unknown_job');
    expect(await stores.jobs.get(ancient.id)).toBeUndefined();

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
