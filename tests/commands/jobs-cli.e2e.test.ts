import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { CLI, ROOT } from '../helpers/mcp.js';
import { waitFor } from '../helpers/wait.js';

// The CLI runs from dist/, so the test seeds its data dir with the very same built modules.
type StoreMod = typeof import('../../src/jobs/store.js');
type LogMod = typeof import('../../src/jobs/job-log.js');
type TypesMod = typeof import('../../src/jobs/types.js');
type Job = import('../../src/jobs/types.js').Job;
type Writer = import('../../src/jobs/job-log.js').JobLogWriter;

let S: StoreMod;
let L: LogMod;
let T: TypesMod;
beforeAll(async () => {
  const load = (p: string) => import(pathToFileURL(path.join(ROOT, 'dist', p)).href);
  [S, L, T] = (await Promise.all([load('jobs/store.js'), load('jobs/job-log.js'), load('jobs/types.js')])) as [
    StoreMod,
    LogMod,
    TypesMod,
  ];
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

let home: { dir: string; cleanup(): void };
const children: ChildProcess[] = [];
beforeEach(() => {
  home = tempHome();
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  home.cleanup();
});

function start(args: string[], stdin: 'pipe' | 'ignore' = 'ignore') {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: home.dir, DECKHAND_HOME: home.dir, DECKHAND_LOG_LEVEL: 'warn' },
    stdio: [stdin, 'pipe', 'pipe'],
  });
  children.push(child);
  const got = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (got.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (got.stderr += d.toString()));
  const done = new Promise<Ran>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, ...got }));
  });
  return { child, got, done };
}

/** Runs `deckhand jobs ...` to completion; a hang fails the test by its timeout. */
async function jobs(...args: string[]): Promise<Ran> {
  return start(['jobs', ...args]).done;
}

const store = () => new S.LowdbJobStore(home.dir, { keepFinished: 1000, keepDays: 365 });
const writer = (id: string) => new L.JobLogWriter(L.jobDir(home.dir, id), { maxBytes: 1 << 20 });

async function newJob(server: string, command: string, createdS: number): Promise<Job> {
  const when = new Date(Date.now() - 3600_000 + createdS * 1000);
  return store().create({ type: 'remote-bash', server, params: { command }, timeout_s: 600 }, when);
}
async function running(job: Job): Promise<Job> {
  return (await store().update(job.id, (j) => T.startJob(j, new Date())))!;
}
async function ended(job: Job, exitCode: number): Promise<Job> {
  return (await store().update(job.id, (j) =>
    T.exitJob(j.status === 'queued' ? T.startJob(j, new Date()) : j, exitCode, new Date()),
  ))!;
}
function addLines(w: Writer, from: number, to: number, stream: (i: number) => 'stdout' | 'stderr' = () => 'stdout') {
  for (let i = from; i <= to; i++) {
    const s = stream(i);
    const text = `${s === 'stdout' ? 'out' : 'err'} ${i}`;
    w.add(s, text, (s === 'stdout' ? w.offsets.out : w.offsets.err) + text.length + 1);
  }
  w.flush();
}

const UNKNOWN = 'job_01JD3Q8X5K2M7N4P6R8S0T2V4W';

describe('deckhand jobs list / show', () => {
  it('lists jobs newest first in a table, filtered and limited', async () => {
    const a = await ended(await newJob('web1', 'make build', 1), 0);
    const b = await ended(await newJob('db', 'pg_dump\nrm x', 2), 3);
    const c = await newJob('web1', 'sleep 100', 3);
    const all = await jobs('list');
    expect(all.code, all.stderr).toBe(0);
    const rows = all.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^ID\s+STATUS\s+TYPE\s+SERVER\s+CREATED\s+DURATION\s+COMMAND$/);
    expect(rows.slice(1).map((r) => r.split(/\s+/).slice(0, 2))).toEqual([
      [c.id, 'queued'],
      [b.id, 'failed'],
      [a.id, 'completed'],
    ]);
    expect(rows[2]).toContain('failed (3)');
    // A newline inside a command must not break the table.
    expect(rows[2]).toContain('pg_dump⏎rm x');
    expect(rows[1]).toContain('sleep 100');

    const failed = await jobs('list', '--status', 'failed');
    expect(
      failed.stdout
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((r) => r.split(' ')[0]),
    ).toEqual([b.id]);
    const web = await jobs('list', '--server', 'web1', '--type', 'remote-bash');
    expect(
      web.stdout
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((r) => r.split(' ')[0]),
    ).toEqual([c.id, a.id]);
    const one = await jobs('list', '--limit', '1');
    expect(one.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(one.stderr).toContain('older jobs not shown');
    const none = await jobs('list', '--type', 'deploy-app');
    expect(none).toMatchObject({ code: 0, stdout: 'No jobs match.\n' });
  });

  it('says so when there are no jobs, and refuses bad flags with exit code 2', async () => {
    expect(await jobs('list')).toMatchObject({ code: 0, stdout: 'No jobs yet.\n' });
    for (const [args, msg] of [
      [['list', '--status', 'done'], '--status must be one of queued, running, completed, failed, cancelled, lost'],
      [['list', '--limit', '0'], '--limit must be a whole number from 1'],
      [['list', '--limit', 'ten'], '--limit must be a whole number'],
      [['list', '--limit'], 'Option "--limit" needs a value'],
      [['list', '--stat', 'failed'], 'Unknown option "--stat"'],
      [['list', 'extra'], 'Unexpected argument "extra"'],
      [['frob'], 'Unknown command "deckhand jobs frob"'],
      [[], 'Missing the jobs command'],
    ] as const) {
      const r = await jobs(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(msg);
      expect(r.stdout).toBe('');
    }
  });

  it('shows one job for people and as JSON; bad and unknown ids are clear errors', async () => {
    const job = await ended(await newJob('web1', 'make build', 1), 2);
    const w = writer(job.id);
    addLines(w, 1, 4);
    w.close();
    const human = await jobs('show', job.id);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout.split('\n')[0]).toBe(job.id);
    expect(human.stdout).toMatch(/^\s+status\s+failed \(2\)$/m);
    expect(human.stdout).toMatch(/^\s+command\s+make build$/m);
    expect(human.stdout).toMatch(/^\s+server\s+web1$/m);
    expect(human.stdout).toMatch(/^\s+exit code\s+2$/m);
    expect(human.stdout).toMatch(/^\s+error\s+exit_code: The command exited with code 2\.$/m);
    expect(human.stdout).toMatch(/^\s+log\s+4 lines, /m);

    const json = await jobs('show', job.id, '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(await store().get(job.id));

    const bad = await jobs('show', '../../etc/passwd');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"../../etc/passwd" is not a job id');
    const unknown = await jobs('show', UNKNOWN);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`No job ${UNKNOWN}`);
    expect((await jobs('show')).stderr).toContain('Missing the job id');
  });

  it('reads the store while a deckhand server holds the engine lease, without taking it', async () => {
    const job = await newJob('web1', 'true', 1);
    await jobs('list');
    // On their own, the commands never create the lease.
    expect(fs.existsSync(path.join(home.dir, 'engine.lock'))).toBe(false);
    const server = start([], 'pipe');
    const owner = path.join(home.dir, 'engine.owner');
    await waitFor(() => fs.existsSync(owner), 'the server to take the lease', 15_000, 25);
    const ownerBefore = fs.readFileSync(owner, 'utf8');
    expect(JSON.parse(ownerBefore)).toMatchObject({ pid: server.child.pid });
    const list = await jobs('list');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(job.id);
    expect((await jobs('show', job.id, '--json')).code).toBe(0);
    expect(fs.readFileSync(owner, 'utf8')).toBe(ownerBefore);
    server.child.stdin!.end();
    await server.done;
  });
});

describe('deckhand jobs logs', () => {
  async function finishedWithLog(): Promise<Job> {
    const job = await ended(await newJob('web1', 'build', 1), 0);
    const w = writer(job.id);
    addLines(w, 1, 30, (i) => (i % 4 === 0 ? 'stderr' : 'stdout'));
    w.add('system', 'exit status 0');
    w.close();
    return job;
  }

  it('prints the whole log in order, or its tail, a stream, or the matching lines', async () => {
    const job = await finishedWithLog();
    const label = (i: number) => (i % 4 === 0 ? `err ${i}` : `out ${i}`);
    const all = await jobs('logs', job.id);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toBe([...range(1, 30).map(label), '[deckhand] exit status 0', ''].join('\n'));
    const tail = await jobs('logs', job.id, '--tail', '3');
    expect(tail.stdout).toBe('out 29\nout 30\n[deckhand] exit status 0\n');
    const err = await jobs('logs', job.id, '--stream', 'stderr', '--tail', '3');
    expect(err.stdout).toBe('err 24\nerr 28\n[deckhand] exit status 0\n');
    const grep = await jobs('logs', job.id, '--grep', '^out 1\\d$');
    expect(grep.stdout).toBe([10, 11, 13, 14, 15, 17, 18, 19].map((i) => `out ${i}\n`).join(''));
    expect((await jobs('logs', job.id, '--tail', '0')).stdout).toBe('');
  });

  it('refuses bad arguments with exit code 2 and an unknown job with 1', async () => {
    const job = await finishedWithLog();
    for (const [args, msg] of [
      [['logs', job.id, '--grep', '(unclosed'], '--grep is not a valid regular expression'],
      [['logs', job.id, '--stream', 'both'], '--stream must be one of stdout, stderr'],
      [['logs', job.id, '--tail', '-1'], 'Option "--tail" needs a value'],
      [['logs', job.id, '--tail', '1e3'], '--tail must be a whole number'],
      [['logs', job.id, '--follw'], 'Unknown option "--follw"'],
      [['logs', 'job_x'], '"job_x" is not a job id'],
    ] as const) {
      const r = await jobs(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(msg);
    }
    const unknown = await jobs('logs', UNKNOWN, '-f');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`No job ${UNKNOWN}`);
  });

  it('-f follows lines as they are written until the job ends, then exits 0', async () => {
    const job = await running(await newJob('web1', 'long', 1));
    const w = writer(job.id);
    addLines(w, 1, 3);
    const follow = start(['jobs', 'logs', job.id, '-f']);
    await waitFor(() => follow.got.stdout.includes('out 3\n'), 'the first lines', 15_000, 25);
    // Appended in three steps while the follower runs: each step shows up before the next is written.
    for (const [from, to] of [
      [4, 6],
      [7, 20],
      [21, 25],
    ] as const) {
      addLines(w, from, to);
      await waitFor(() => follow.got.stdout.includes(`out ${to}\n`), `line ${to}`, 15_000, 25);
      expect(follow.child.exitCode).toBeNull();
    }
    w.add('system', 'exit status 0');
    w.close();
    await ended(job, 0);
    const r = await follow.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe([...range(1, 25).map((i) => `out ${i}`), '[deckhand] exit status 0', ''].join('\n'));
    expect(r.stderr).toContain(`job ${job.id} completed`);
  });

  it('-f --tail starts from the last lines and exits 1 when the job fails', async () => {
    const job = await running(await newJob('web1', 'long', 1));
    const w = writer(job.id);
    addLines(w, 1, 50);
    const follow = start(['jobs', 'logs', job.id, '--tail', '2', '--follow']);
    await waitFor(() => follow.got.stdout.includes('out 50\n'), 'the tail', 15_000, 25);
    addLines(w, 51, 52);
    w.close();
    await ended(job, 7);
    const r = await follow.done;
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('out 49\nout 50\nout 51\nout 52\n');
    expect(r.stderr).toContain('The command exited with code 7');
  });

  it('-f on a job that already ended prints it and exits with its outcome', async () => {
    const cases: [string, (j: Job) => Job, number][] = [
      ['completed', (j) => T.exitJob(T.startJob(j, new Date()), 0, new Date()), 0],
      ['failed', (j) => T.exitJob(T.startJob(j, new Date()), 1, new Date()), 1],
      ['lost', (j) => T.loseJob(T.startJob(j, new Date()), new Date(), 'no runner, no exit record'), 1],
      ['cancelled', (j) => T.cancelJob(j, new Date(), 'by a test'), 130],
    ];
    for (const [status, change, code] of cases) {
      const job = await newJob('web1', status, 1);
      await store().update(job.id, change);
      const w = writer(job.id);
      addLines(w, 1, 2);
      w.close();
      const r = await jobs('logs', job.id, '-f');
      expect(r.code, status).toBe(code);
      expect(r.stdout).toBe('out 1\nout 2\n');
      expect(r.stderr).toContain(`job ${job.id} ${status}`);
    }
  });
});

describe('deckhand jobs cancel', () => {
  it('cancels a queued job at once', async () => {
    const job = await newJob('web1', 'sleep 100', 1);
    const r = await jobs('cancel', job.id);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`Cancelled ${job.id} before it started.\n`);
    expect(await store().get(job.id)).toMatchObject({
      status: 'cancelled',
      error: { code: 'cancelled', message: 'Cancelled before it started.' },
    });
    const again = await jobs('cancel', job.id);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nothing to cancel');
    expect(fs.existsSync(path.join(home.dir, 'engine.lock'))).toBe(false);
  });

  it('asks the executing process to stop a running job and reports what it did', async () => {
    const job = await running(await newJob('web1', 'sleep 100', 1));
    const cancel = start(['jobs', 'cancel', job.id]);
    // The test plays the executing deckhand: it sees the request and records the cancel.
    await waitFor(
      async () => (await store().get(job.id))?.cancel_requested_at != null,
      'the cancel request',
      15_000,
      25,
    );
    expect(cancel.child.exitCode).toBeNull();
    await store().update(job.id, (j) => T.cancelJob(j, new Date(), 'Cancelled by the user.', { exit_code: 143 }));
    const r = await cancel.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`Cancelled ${job.id}.\n`);
  });

  it('leaves the request with the running deckhand when nothing stops the job in time', async () => {
    const job = await running(await newJob('web1', 'sleep 100', 1));
    const r = await jobs('cancel', job.id, '--wait', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`Cancel of ${job.id} requested; the running deckhand will stop it.\n`);
    expect(r.stderr).toContain('no deckhand process seems to be running');
    const after = await store().get(job.id);
    expect(after).toMatchObject({ status: 'running' });
    expect(after!.cancel_requested_at).not.toBeNull();
    expect((await jobs('cancel', UNKNOWN)).code).toBe(1);
    expect((await jobs('cancel', job.id, '--wait', 'x')).code).toBe(2);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
