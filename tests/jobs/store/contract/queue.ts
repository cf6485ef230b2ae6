import { describe, expect, it } from 'vitest';
import { attemptLogKey } from '../../../../src/jobs/log/keys.js';
import { applyOutcome } from '../../../../src/jobs/outcome.js';
import { decideAttemptEnd } from '../../../../src/jobs/retry.js';
import * as T from '../../../../src/jobs/types.js';
import { A, B, claimReq, spec, T0, type MakeWorld } from './world.js';

const ids = (jobs: { id: string }[]) => jobs.map((j) => j.id);

const retry: T.RetryPolicy = {
  attempts: 3,
  backoff: { kind: 'exponential', initial_s: 10, max_s: 360, jitter: false },
  retry_on: ['exit_code:75'],
  idempotent: false,
};

/** The kernel's end of an attempt (run.ts does the same inside updateAndClaim/update). */
const endAttempt = (code: number, at: number) => (j: T.Job) => {
  const ended = applyOutcome(j, { kind: 'exit', exit_code: code }, new Date(at));
  return ended && decideAttemptEnd(j, ended, { now: new Date(at), random: 0, logLines: 3 }).job;
};

export function queueContract(world: MakeWorld): void {
  describe('queue policies', () => {
    it('keeps a job’s retry policy, active deadline and ttl, read back by another instance', async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      const sp = spec({ retry, active_deadline_s: 600, ttl_after_finished_s: 3600, priority: 0 });
      const [job] = await a.jobs.create([sp], T0);
      expect(job).toMatchObject({ retry, active_deadline_s: 600, ttl_after_finished_s: 3600, attempts: [] });
      expect(await b.jobs.get(sp.id)).toEqual(job);
    });

    it('a retried attempt is queued again until its not_before, its history kept; the next claim starts attempt 2', async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      const sp = spec({ retry });
      await a.jobs.create([sp], T0);
      expect(ids(await a.jobs.claim(claimReq(A)))).toEqual([sp.id]);
      const back = await a.jobs.update(sp.id, endAttempt(75, T0 + 2000));
      expect(back).toMatchObject({ status: 'queued', not_before: new Date(T0 + 12_000).toISOString() });
      expect(back!.attempts).toEqual([
        {
          n: 1,
          started_at: new Date(T0).toISOString(),
          finished_at: new Date(T0 + 2000).toISOString(),
          status: 'failed',
          exit_code: 75,
          error: { code: 'exit_code', message: 'The command exited with code 75.' },
          log_lines: 3,
        },
      ]);
      // Waiting: listed as scheduled (queued with a not_before after now), claimed by nobody before its time.
      const scheduled = await b.jobs.list({ not_before_after: T0 + 5000 }, 10);
      expect(ids(scheduled.jobs)).toEqual([sp.id]);
      expect((await b.jobs.list({ not_before_after: T0 + 12_000 }, 10)).jobs).toEqual([]);
      expect(await b.jobs.claim(claimReq(B, { now: T0 + 11_999 }))).toEqual([]);
      const [again] = await b.jobs.claim(claimReq(B, { now: T0 + 12_000 }));
      expect(again).toMatchObject({ id: sp.id, status: 'running', owner: { instance: B.id } });
      expect(T.currentAttempt(again!)).toBe(2);
      expect(again!.attempts).toHaveLength(1);
      const done = await b.jobs.update(sp.id, endAttempt(0, T0 + 13_000));
      expect(done).toMatchObject({ status: 'completed', exit_code: 0 });
      expect(done!.attempts.map((x) => [x.n, x.status])).toEqual([
        [1, 'failed'],
        [2, 'completed'],
      ]);
    });

    it('a retry waiting for its time still yields to priority and is cancelled at once', async () => {
      const s = await (await world()).open(A);
      const sp = spec({ retry, priority: 2 });
      await s.jobs.create([sp], T0);
      await s.jobs.claim(claimReq(A));
      await s.jobs.update(sp.id, endAttempt(75, T0));
      const high = spec({ priority: 0 }, T0 + 1);
      await s.jobs.create([high], T0 + 1);
      expect(ids(await s.jobs.claim(claimReq(A, { now: T0 + 10_000, max: 1 })))).toEqual([high.id]);
      const cancelled = await s.jobs.requestCancel(sp.id, T0 + 10_001);
      expect(cancelled).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
      expect(cancelled!.attempts).toHaveLength(1);
      expect(await s.jobs.claim(claimReq(A, { now: T0 + 60_000 }))).toEqual([]);
    });

    it('deleteExpired removes finished jobs past their ttl only, with every attempt’s log where the store keeps logs', async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      const short = spec({ ttl_after_finished_s: 60, retry });
      const keep = spec();
      const running = spec({ ttl_after_finished_s: 1 });
      await a.jobs.create([short, keep, running], T0);
      await a.jobs.claim(claimReq(A));
      await a.jobs.update(short.id, endAttempt(75, T0));
      await a.jobs.claim(claimReq(A, { now: T0 + 10_000 }));
      for (const n of [1, 2]) {
        const wr = await a.logs.open(attemptLogKey(short.id, n), { maxBytes: 1 << 20 });
        wr.add('stdout', `attempt ${n}`);
        await wr.close();
      }
      await a.jobs.update(short.id, endAttempt(0, T0 + 11_000));
      await a.jobs.update(keep.id, endAttempt(0, T0 + 11_000));
      expect(await b.jobs.deleteExpired(T0 + 70_999, 10)).toEqual([]);
      expect(await b.jobs.deleteExpired(T0 + 71_000, 10)).toEqual([short.id]);
      expect(await b.jobs.get(short.id)).toBeUndefined();
      expect(await b.jobs.get(keep.id)).toBeDefined();
      // Not finished: never expired, whatever its ttl.
      expect((await b.jobs.get(running.id))!.status).toBe('running');
      if (a.kind === 'postgres')
        for (const n of [1, 2])
          expect((await b.logs.read(attemptLogKey(short.id, n), { limit: 10 })).total_lines).toBe(0);
    });
  });
}
