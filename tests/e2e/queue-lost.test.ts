import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deckhand, JobsFixture, stdoutTexts } from '../helpers/jobs.js';
import { remoteProcessCount, sshRun, uniqueSleep } from '../helpers/openssh.js';
import { waitFor } from '../helpers/wait.js';

interface Attempts {
  job: { status: string; attempts?: { n: number; status: string }[] };
}

describe('a lost attempt (outcome unknown) over a real sshd, across a crash of deckhand', () => {
  const fx = new JobsFixture();
  let d: Deckhand;

  beforeAll(async () => {
    d = await fx.setup();
  });
  afterAll(() => fx.teardown());

  it('is never retried, unless retry_on says the command is safe to run twice ("lost")', async () => {
    const n = uniqueSleep();
    // The first run of each sleeps (and is killed while deckhand is down); a second run would find its marker.
    const cmd = (m: string) => `if [ -f ${m} ]; then echo "second run"; exit 0; fi; touch ${m}; sleep ${n}; echo never`;
    const markers = ['plain', 'idem'].map((k) => path.join(fx.targetHome, `marker-${k}-${n}`));
    const retry = { attempts: 3, retry_on: ['exit_code:75'], backoff: 'fixed', backoff_s: 0 };
    const plain = await d.background(cmd(markers[0]!), retry);
    const idem = await d.background(cmd(markers[1]!), { ...retry, retry_on: ['exit_code:75', 'lost'] });
    await waitFor(() => remoteProcessCount(fx.sshd, `sleep ${n}`) === 2, 'both commands to run');
    const launched = (id: string) => fs.existsSync(path.join(fx.home.dir, 'jobs', id, 'launched'));
    await waitFor(() => launched(plain) && launched(idem), 'launches recorded');
    await d.kill();
    // While no deckhand runs: kill both commands and their runners, so no exit status is ever recorded.
    const killAll = (id: string) =>
      `d="$HOME/.deckhand/jobs/${id}"; kill -KILL -- -"$(cat "$d/runner.pid")" -"$(cat "$d/pgid")" 2>/dev/null; true`;
    sshRun(fx.sshd, `${killAll(plain)}; ${killAll(idem)}`);
    await waitFor(() => remoteProcessCount(fx.sshd, `sleep ${n}`) === 0, 'the remote commands to be dead');

    d = await fx.start();
    const lost = await d.waitTerminal(plain, 30_000);
    expect(lost.status).toBe('lost');
    const plainView = (await d.status({ job_id: plain })) as unknown as Attempts;
    expect(plainView.job.attempts?.map((a) => a.status)).toEqual(['lost']);
    // Not run again: its marker is still the first run's, and no second run printed anything.
    expect(stdoutTexts(await d.allLines(plain))).toEqual([]);

    const again = await d.waitTerminal(idem, 30_000);
    expect(again.status).toBe('completed');
    const idemView = (await d.status({ job_id: idem })) as unknown as Attempts;
    expect(idemView.job.attempts?.map((a) => [a.n, a.status])).toEqual([
      [1, 'lost'],
      [2, 'completed'],
    ]);
    expect(stdoutTexts(await d.allLines(idem))).toEqual(['second run']);
  });
});
