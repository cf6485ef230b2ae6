import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deckhand, JobsFixture, stdoutTexts } from '../helpers/jobs.js';
import { waitFor } from '../helpers/wait.js';

const CYCLES = 30;

describe('crash loop: deckhand SIGKILLed again and again while jobs are created and running', () => {
  const fx = new JobsFixture();
  let d: Deckhand;

  beforeAll(async () => {
    d = await fx.setup();
  });
  afterAll(() => fx.teardown());

  it(`${CYCLES} kill/restart cycles lose no job record, and every job completes with each line once`, async () => {
    const expected = new Map<string, string[]>();
    const storeFile = path.join(fx.home.dir, 'deckhand.db');
    const submit = async (tag: string) => {
      const id = await d.background(`for i in 1 2 3; do echo "${tag}-$i"; sleep 0.2; done`);
      expected.set(
        id,
        [1, 2, 3].map((i) => `${tag}-${i}`),
      );
      return id;
    };

    let next: Promise<Deckhand> | undefined;
    for (let c = 0; c < CYCLES; c++) {
      if (next) d = await next;
      const id = await submit(`c${c}`);
      if (c % 3 === 1) await submit(`c${c}b`);
      // The successor boots while this one works (node start-up is most of a cycle on a loaded machine); it takes
      // over the lease as soon as this one is killed.
      next = fx.start();
      next.catch(() => undefined);
      // Kill at different points of a job's life: just queued, just claimed, mid-output.
      if (c % 3 === 1)
        await waitFor(async () => (await d.status({ job_id: id, tail_logs: 0 })).job.status !== 'queued', 'a claim');
      if (c % 3 === 2)
        await waitFor(async () => stdoutTexts((await d.status({ job_id: id })).logs).length > 0, 'a first line');
      await d.kill();

      // Read beside the store, as a person would with sqlite3: every job ever created is there after the kill.
      const db = new BetterSqlite3(storeFile, { readonly: true });
      const stored = new Set((db.prepare('select id from jobs').all() as { id: string }[]).map((j) => j.id));
      db.close();
      for (const known of expected.keys()) expect(stored.has(known), `cycle ${c}: ${known} in deckhand.db`).toBe(true);
    }

    d = await next!;
    const failures: string[] = [];
    for (const [id, lines] of expected) {
      const job = await d.waitTerminal(id, 60_000);
      const got = stdoutTexts(await d.allLines(id));
      if (job.status !== 'completed' || JSON.stringify(got) !== JSON.stringify(lines))
        failures.push(`${id}: ${job.status} ${job.error?.message ?? ''} lines=${JSON.stringify(got)}`);
    }
    expect(failures).toEqual([]);
    expect(expected.size).toBe(CYCLES + CYCLES / 3);
    // Thirty node start-ups: about 40 s on an idle machine, over 120 s beside the rest of the suite on two cores.
  }, 300_000);
});
