import { describe, expect, it } from 'vitest';
import * as T from '../../src/jobs/types.js';
import type { Job } from '../../src/jobs/types.js';
import { waitFor } from '../helpers/wait.js';
import { range, UNKNOWN, useJobsCli } from './jobs-cli-fixture.js';

const cli = useJobsCli();
const { jobs, start, store, writer, newJob, running, ended, addLines } = cli;

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
