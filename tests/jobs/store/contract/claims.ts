import { describe, expect, it } from 'vitest';
import type { Stores } from '../../../../src/jobs/store/contract.js';
import * as T from '../../../../src/jobs/types.js';
import { A, B, claimReq, spec, T0, type MakeWorld } from './world.js';

const ids = (js: { id: string }[]) => js.map((j) => j.id);
const finish = (s: Stores, id: string) => s.jobs.update(id, (j) => T.exitJob(j, 0, new Date(T0)));

export function claimsContract(world: MakeWorld): void {
  describe('claims', () => {
    it('starts queued jobs FIFO, for the claiming instance, at most `max` per claim', async () => {
      const s = await (await world()).open(A);
      const specs = [spec(), spec(), spec(), spec()];
      await s.jobs.create(specs, T0);
      const first = await s.jobs.claim(claimReq(A, { max: 3, now: T0 + 7 }));
      expect(ids(first)).toEqual(ids(specs.slice(0, 3)));
      for (const j of first)
        expect(j).toMatchObject({
          status: 'running',
          attempt: 1,
          started_at: new Date(T0 + 7).toISOString(),
          owner: { instance: A.id, host: A.host, pid: A.pid },
        });
      expect(ids(await s.jobs.claim(claimReq(A)))).toEqual([specs[3]!.id]);
      expect(await s.jobs.claim(claimReq(A))).toEqual([]);
    });

    it('runs lower priority numbers first, and ages waiting jobs upward so none starves', async () => {
      const s = await (await world()).open(A, { agingMs: 1000 });
      const low = spec({ priority: 2 });
      const normal = spec({ priority: 1 });
      const high = spec({ priority: 0 });
      await s.jobs.create([low, normal, high], T0);
      const one = (now: number) => s.jobs.claim(claimReq(A, { max: 1, now }));
      expect(ids(await one(T0))).toEqual([high.id]);
      expect(ids(await one(T0))).toEqual([normal.id]);
      // A low-priority job that waited 5 s (5 levels) goes before a high one queued just now.
      const fresh = spec({ priority: 0 }, T0 + 5000);
      await s.jobs.create([fresh], T0 + 5000);
      expect(ids(await one(T0 + 5000))).toEqual([low.id]);
      expect(ids(await one(T0 + 5000))).toEqual([fresh.id]);
    });

    it('takes origins in turn: a single job queued behind a batch starts as soon as a slot frees', async () => {
      const s = await (await world()).open(A);
      const parent = spec({ status: 'running' });
      const kids = Array.from({ length: 5 }, () => spec({ parent_id: parent.id }));
      await s.jobs.create([parent, ...kids], T0);
      const lone = spec();
      await s.jobs.create([lone], T0);
      const slots = (max: number) => s.jobs.claim(claimReq(A, { max, maxForInstance: 2 }));
      expect(ids(await slots(1))).toEqual([kids[0]!.id]);
      expect(ids(await slots(1))).toEqual([lone.id]);
      await finish(s, lone.id);
      expect(ids(await slots(5))).toEqual([kids[1]!.id]);
    });

    it('skips jobs not yet due and jobs with a cancel request', async () => {
      const s = await (await world()).open(A);
      const later = spec({ not_before: T0 + 1000 });
      const asked = spec();
      const plain = spec();
      await s.jobs.create([later, asked, plain], T0);
      await s.jobs.update(asked.id, (j) => T.requestCancel(j, new Date(T0)));
      expect(ids(await s.jobs.claim(claimReq(A, { now: T0 + 999 })))).toEqual([plain.id]);
      expect(ids(await s.jobs.claim(claimReq(A, { now: T0 + 1000 })))).toEqual([later.id]);
      expect((await s.jobs.get(asked.id))!.status).toBe('queued');
    });

    it('holds the per-instance limit and the per-server limit, which counts every instance’s jobs', async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      const web = Array.from({ length: 4 }, () => spec({ server: 'web' }));
      const free = Array.from({ length: 4 }, () => spec({ server: null }));
      await a.jobs.create([...web, ...free], T0);
      const limits = { maxPerServer: 2, maxForInstance: 3 };
      const ga = await a.jobs.claim(claimReq(A, limits));
      expect(ids(ga)).toEqual([web[0]!.id, web[1]!.id, free[0]!.id]);
      // B has room of its own, but web has 2 running (A's): B gets only server-less jobs.
      const gb = await b.jobs.claim(claimReq(B, limits));
      expect(ids(gb)).toEqual([free[1]!.id, free[2]!.id, free[3]!.id]);
      expect(await a.jobs.claim(claimReq(A, limits))).toEqual([]); // A is full
      await finish(a, web[0]!.id);
      expect(await b.jobs.claim(claimReq(B, limits))).toEqual([]); // B is full
      await finish(b, free[1]!.id);
      expect(ids(await b.jobs.claim(claimReq(B, limits)))).toEqual([web[2]!.id]);
    });

    it('keeps the per-server limit when two instances claim at the same moment', async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      await a.jobs.create(
        Array.from({ length: 30 }, (_, i) => spec({ server: i % 2 ? 'web' : 'db' })),
        T0,
      );
      const limits = { maxPerServer: 3, max: 2 };
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).jobs.claim(claimReq(i % 2 ? A : B, limits))),
      );
      const running = await a.jobs.list({ status: 'running' }, 100);
      expect(running.jobs.filter((j) => j.server === 'web')).toHaveLength(3);
      expect(running.jobs.filter((j) => j.server === 'db')).toHaveLength(3);
    });

    it('holds a batch’s parallel_limit and starts a wave only once earlier waves have ended', async () => {
      const s = await (await world()).open(A);
      const parent = spec({ status: 'running' });
      const w0 = [0, 1, 2].map(() => spec({ parent_id: parent.id, parallel_limit: 2, wave: 0 }));
      const w1 = [0, 1].map(() => spec({ parent_id: parent.id, parallel_limit: 2, wave: 1 }));
      await s.jobs.create([parent, ...w0, ...w1], T0);
      expect(ids(await s.jobs.claim(claimReq(A)))).toEqual([w0[0]!.id, w0[1]!.id]);
      await finish(s, w0[0]!.id);
      expect(ids(await s.jobs.claim(claimReq(A)))).toEqual([w0[2]!.id]);
      await finish(s, w0[1]!.id);
      // Wave 1 waits for the last job of wave 0.
      expect(await s.jobs.claim(claimReq(A))).toEqual([]);
      await finish(s, w0[2]!.id);
      expect(ids(await s.jobs.claim(claimReq(A)))).toEqual(ids(w1));
    });

    it('updateAndClaim records an outcome and passes the slot on in the same write', async () => {
      const s = await (await world()).open(A);
      const [x, y] = [spec({ server: 'web' }), spec({ server: 'web' })];
      await s.jobs.create([x, y], T0);
      await s.jobs.claim(claimReq(A, { maxPerServer: 1 }));
      const { job, claimed } = await s.jobs.updateAndClaim(
        x.id,
        (j) => T.exitJob(j, 0, new Date(T0 + 1)),
        claimReq(A, { maxPerServer: 1 }),
      );
      expect(job).toMatchObject({ id: x.id, status: 'completed' });
      expect(ids(claimed)).toEqual([y.id]);
      expect(await s.jobs.updateAndClaim('job_01JD3Q8X5K2M7N4P6R8S0T2V4W', (j) => j, claimReq(A))).toEqual({
        job: undefined,
        claimed: [],
      });
    });
  });
}
