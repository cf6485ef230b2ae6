import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deckhand, JobsFixture, stdoutTexts, type LogLine } from '../helpers/jobs.js';
import { remoteProcessCount, sshRun, uniqueSleep } from '../helpers/openssh.js';
import { waitFor } from '../helpers/wait.js';

const range = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
const texts = (lines: LogLine[], stream: 'stdout' | 'stderr') =>
  lines.filter((l) => l.stream === stream).map((l) => l.text);

describe('jobs survive a crash of deckhand and a dropped SSH connection', () => {
  const fx = new JobsFixture();
  let d: Deckhand;

  beforeAll(async () => {
    d = await fx.setup();
  });
  afterAll(() => fx.teardown());

  /** Lines the command has written on the target so far (its out file), whatever deckhand has seen. */
  const remoteOutLines = (id: string): number => {
    try {
      return fs.readFileSync(path.join(fx.remoteJobDir(id), 'out'), 'utf8').split('\n').length - 1;
    } catch {
      return 0;
    }
  };

  const seenStdout = async (id: string) => stdoutTexts((await d.status({ job_id: id })).logs).length;

  it('SIGKILL mid-job, twice: a new process finishes it with every line once and the exit code', async () => {
    // The command waits at two gates (after lines 4 and 10) that the test opens only once deckhand is down, so it
    // is still running, and writes more, whatever the machine's load makes a restart cost.
    const gate = (n: number) => path.join(fx.home.dir, `gate-${n}`);
    const id = await d.background(
      'for i in $(seq 1 16); do echo "n-$i"; if [ $((i % 4)) = 0 ]; then echo "e-$i" >&2; fi; ' +
        `if [ $i = 4 ]; then while [ ! -e ${gate(1)} ]; do sleep 0.1; done; fi; ` +
        `if [ $i = 10 ]; then while [ ! -e ${gate(2)} ]; do sleep 0.1; done; fi; sleep 0.4; done; exit 7`,
    );
    for (const [n, after] of [
      [1, 3],
      [2, 9],
    ] as const) {
      await waitFor(async () => (await seenStdout(id)) >= after, `${after} lines logged`);
      await d.kill();
      // The command keeps going on the server while no deckhand runs: the next one must catch up.
      const seen = remoteOutLines(id);
      fs.writeFileSync(gate(n), '');
      await waitFor(() => remoteOutLines(id) >= seen + 2, 'the command to write more while deckhand is down');
      d = await fx.start();
    }
    const job = await d.waitTerminal(id);
    expect(job).toMatchObject({ status: 'failed', exit_code: 7 });
    const lines = await d.allLines(id);
    expect(texts(lines, 'stdout')).toEqual(range(16, 'n-'));
    expect(texts(lines, 'stderr')).toEqual(['e-4', 'e-8', 'e-12', 'e-16']);
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.seq).toBe(lines[i - 1]!.seq + 1);
    const system = lines.filter((l) => l.stream === 'system').map((l) => l.text);
    expect(system).toContain('exit status 7');
    // Both restarts went through reattachment, not a fresh start of the command.
    expect(system.filter((t) => /reattaching to the running command/.test(t))).toHaveLength(2);
  });

  it('a dropped SSH connection mid-job is reconnected with no gap and no duplicate', async () => {
    const id = await d.background(
      'for i in $(seq 1 24); do echo "d-$i"; if [ $((i % 6)) = 0 ]; then echo "x-$i" >&2; fi; sleep 0.3; done',
    );
    const before = fx.sshd.acceptedConnections();
    for (const after of [3, 10]) {
      await waitFor(async () => (await seenStdout(id)) >= after, `${after} lines logged`);
      fx.sshd.dropConnections();
      await waitFor(async () => (await seenStdout(id)) >= after + 3, 'lines to flow again after the drop');
    }
    const job = await d.waitTerminal(id);
    expect(job).toMatchObject({ status: 'completed', exit_code: 0 });
    const lines = await d.allLines(id);
    expect(texts(lines, 'stdout')).toEqual(range(24, 'd-'));
    expect(texts(lines, 'stderr')).toEqual(['x-6', 'x-12', 'x-18', 'x-24']);
    expect(fx.sshd.acceptedConnections()).toBeGreaterThan(before);
    const system = lines.filter((l) => l.stream === 'system').map((l) => l.text);
    expect(system.filter((t) => /connection to the server lost; reconnecting/.test(t)).length).toBeGreaterThanOrEqual(
      2,
    );
  });

  it('a job whose remote processes and state vanished while deckhand was down becomes lost, with the reason', async () => {
    const n = uniqueSleep();
    const gone = await d.background(`sleep ${n}; echo never`);
    const orphan = await d.background(`sleep ${n + 1}; echo never`);
    await waitFor(
      () => remoteProcessCount(fx.sshd, `sleep ${n}`) === 1 && remoteProcessCount(fx.sshd, `sleep ${n + 1}`) === 1,
      'both commands to run',
    );
    // deckhand has recorded that the commands started (a job that never started would be queued again, not lost).
    const runnerRecorded = (id: string) => fs.existsSync(path.join(fx.home.dir, 'jobs', id, 'launched'));
    await waitFor(() => runnerRecorded(gone) && runnerRecorded(orphan), 'launches recorded beside the job logs');
    await d.kill();
    // Over a second connection: kill each job's runner and command groups; remove the first one's directory. The
    // runner first: a runner that outlived its command, if only for a moment, would record the exit status it saw.
    const killAll = (id: string) =>
      `d="$HOME/.deckhand/jobs/${id}"; kill -KILL -- -"$(cat "$d/runner.pid")" -"$(cat "$d/pgid")" 2>/dev/null; true`;
    sshRun(fx.sshd, `${killAll(gone)}; ${killAll(orphan)}; rm -rf "$HOME/.deckhand/jobs/${gone}"`);
    await waitFor(
      () => remoteProcessCount(fx.sshd, `sleep ${n}`) + remoteProcessCount(fx.sshd, `sleep ${n + 1}`) === 0,
      'the remote commands to be dead',
    );
    expect(fs.existsSync(fx.remoteJobDir(gone))).toBe(false);

    d = await fx.start();
    const lostGone = await d.waitTerminal(gone, 30_000);
    expect(lostGone.status).toBe('lost');
    expect(lostGone.error?.code).toBe('lost');
    expect(lostGone.error?.message).toMatch(/directory on the server .* is gone .* outcome is unknown/);
    const lostOrphan = await d.waitTerminal(orphan, 30_000);
    expect(lostOrphan.status).toBe('lost');
    expect(lostOrphan.error?.message).toMatch(/no longer running .* no exit status .* outcome is unknown/);
    for (const id of [gone, orphan]) {
      const lines = await d.allLines(id);
      expect(stdoutTexts(lines)).toEqual([]);
      expect(
        lines
          .filter((l) => l.stream === 'system')
          .map((l) => l.text)
          .join('\n'),
      ).toMatch(/job lost/);
    }
  });
});
