import { describe, expect, it } from 'vitest';
import * as T from '../../../../src/jobs/types.js';
import { A, B, C, claimReq, expectCode, spec, T0, type MakeWorld } from './world.js';

export function jobsContract(world: MakeWorld): void {
  describe('job records', () => {
    it('creates a queued job with its spec, defaults and times, and reads it back', async () => {
      const s = await (await world()).open(A);
      const sp = spec({ server: 'web1', params: { command: 'ls', n: 1 }, runtime: { dir: '/x' }, priority: 2 });
      const [job] = await s.jobs.create([sp], T0);
      const expected: T.Job = {
        id: sp.id,
        type: 'remote-bash',
        server: 'web1',
        params: { command: 'ls', n: 1 },
        status: 'queued',
        progress: {},
        created_at: new Date(T0).toISOString(),
        started_at: null,
        finished_at: null,
        attempt: 0,
        exit_code: null,
        error: null,
        result: null,
        timeout_s: 60,
        cancel_requested_at: null,
        runtime: { dir: '/x' },
        owner: null,
        parent_id: null,
        parallel_limit: null,
        wave: null,
        priority: 2,
        not_before: null,
        unique_key: null,
        retry: null,
        active_deadline_s: null,
        ttl_after_finished_s: null,
        attempts: [],
        template: null,
      };
      expect(job).toEqual(expected);
      expect(await s.jobs.get(sp.id)).toEqual(expected);
      expect(await s.jobs.get('job_01JD3Q8X5K2M7N4P6R8S0T2V4W')).toBeUndefined();
    });

    it('creates a batch parent (running, no owner) and its children in one write, seen from another instance', async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      const parent = spec({ status: 'running', type: 'batch' });
      const kids = [0, 1, 2].map((i) =>
        spec({ parent_id: parent.id, server: `s${i}`, parallel_limit: 2, wave: i, not_before: T0 + i }),
      );
      const made = await a.jobs.create([parent, ...kids], T0);
      expect(made.map((j) => j.id)).toEqual([parent.id, ...kids.map((k) => k.id)]);
      const p = await b.jobs.get(parent.id);
      expect(p).toMatchObject({ status: 'running', owner: null, started_at: new Date(T0).toISOString() });
      const c2 = await b.jobs.get(kids[2]!.id);
      expect(c2).toMatchObject({
        parent_id: parent.id,
        parallel_limit: 2,
        wave: 2,
        not_before: new Date(T0 + 2).toISOString(),
      });
      expect(await b.jobs.countChildren(parent.id)).toEqual({
        queued: 3,
        running: 0,
        completed: 0,
        failed: 0,
        cancelled: 0,
        lost: 0,
      });
    });

    it('refuses a second job with a unique key (duplicate_job naming the first), whichever instance tries, atomically', async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      const first = spec({ unique_key: 'sched-1@2027-01-01T00:00' });
      await a.jobs.create([first], T0);
      const err = await expectCode(b.jobs.create([spec({ unique_key: first.unique_key })], T0), 'duplicate_job');
      expect(err.message).toContain(first.id);
      await expectCode(b.jobs.createAndClaim(spec({ unique_key: first.unique_key }), claimReq(B)), 'duplicate_job');
      // A batch holding a taken key, or the same key twice, creates nothing at all.
      const fresh = spec();
      await expectCode(a.jobs.create([fresh, spec({ unique_key: first.unique_key })], T0), 'duplicate_job');
      const twice = [spec({ unique_key: 'k2' }), spec({ unique_key: 'k2' })];
      await expectCode(a.jobs.create(twice, T0), 'duplicate_job');
      expect(await a.jobs.get(fresh.id)).toBeUndefined();
      expect(await a.jobs.get(twice[0]!.id)).toBeUndefined();
      // Two instances racing for one slot: exactly one job carries the key.
      const racers = await Promise.allSettled(
        [a, b, a, b].map((s) => s.jobs.create([spec({ unique_key: 'race' })], T0)),
      );
      expect(racers.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of racers)
        if (r.status === 'rejected') expect((r.reason as { code: string }).code).toBe('duplicate_job');
    });

    it('createAndClaim starts the job in the same write when it may run and nothing is waiting ahead of it', async () => {
      const w = await world();
      const a = await w.open(A);
      const now = T0 + 5;
      const job = await a.jobs.createAndClaim(spec({ server: 'web' }, now), claimReq(A, { now }));
      expect(job).toMatchObject({
        status: 'running',
        attempt: 1,
        started_at: new Date(now).toISOString(),
        owner: { instance: A.id, host: A.host, pid: A.pid },
      });
      expect(await a.jobs.get(job.id)).toEqual(job);
      // Server full: queued.
      const full = await a.jobs.createAndClaim(spec({ server: 'web' }), claimReq(A, { maxPerServer: 1 }));
      expect(full.status).toBe('queued');
      // An older admissible job is waiting: the new one does not overtake it.
      const behind = await a.jobs.createAndClaim(spec({ server: 'db' }), claimReq(A));
      expect(behind.status).toBe('queued');
      // An instance with no slots (DECKHAND_MAX_JOBS=0) only creates.
      const w2 = await (await world()).open(A);
      expect((await w2.jobs.createAndClaim(spec(), claimReq(A, { maxForInstance: 0 }))).status).toBe('queued');
    });

    it('update applies a pure change atomically; undefined leaves the record; a missing job answers undefined', async () => {
      const s = await (await world()).open(A);
      const [job] = await s.jobs.create([spec()], T0);
      const started = await s.jobs.update(job!.id, (j) => T.startJob(j, new Date(T0 + 1)));
      expect(started).toMatchObject({ status: 'running', attempt: 1 });
      expect(await s.jobs.update(job!.id, () => undefined)).toEqual(started);
      const done = await s.jobs.update(job!.id, (j) =>
        T.setProgress(T.exitJob(j, 3, new Date(T0 + 2), { out: 'x' }), { percent: 100 }),
      );
      expect(done).toMatchObject({
        status: 'failed',
        exit_code: 3,
        result: { out: 'x' },
        error: { code: 'exit_code' },
        progress: { percent: 100 },
        finished_at: new Date(T0 + 2).toISOString(),
      });
      expect(await s.jobs.get(job!.id)).toEqual(done);
      expect(await s.jobs.update('job_01JD3Q8X5K2M7N4P6R8S0T2V4W', (j) => j)).toBeUndefined();
      // A change that throws changes nothing.
      await expect(s.jobs.update(job!.id, (j) => T.startJob(j, new Date()))).rejects.toThrow(/cannot go/);
      expect(await s.jobs.get(job!.id)).toEqual(done);
    });

    it('update loses no change when two instances update one job at once', async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      const [job] = await a.jobs.create([spec({ runtime: { n: 0 } })], T0);
      const bump = (s: typeof a) => s.jobs.update(job!.id, (j) => T.setRuntime(j, { n: (j.runtime.n as number) + 1 }));
      const loop = async (s: typeof a) => {
        for (let i = 0; i < 25; i++) await bump(s);
      };
      await Promise.all([loop(a), loop(b), loop(a), loop(b)]);
      expect((await b.jobs.get(job!.id))!.runtime.n).toBe(100);
    });

    it('requestCancel cancels a queued job at once, marks a running one, leaves a finished one', async () => {
      const s = await (await world()).open(A);
      const [q, r, f] = await s.jobs.create([spec(), spec(), spec()], T0);
      await s.jobs.update(r!.id, (j) => T.startJob(j, new Date(T0)));
      await s.jobs.update(f!.id, (j) => T.completeJob(T.startJob(j, new Date(T0)), new Date(T0)));
      const at = T0 + 10;
      expect(await s.jobs.requestCancel(q!.id, at)).toMatchObject({
        status: 'cancelled',
        cancel_requested_at: new Date(at).toISOString(),
        finished_at: new Date(at).toISOString(),
        error: { code: 'cancelled' },
      });
      expect(await s.jobs.requestCancel(r!.id, at)).toMatchObject({
        status: 'running',
        cancel_requested_at: new Date(at).toISOString(),
      });
      expect(await s.jobs.requestCancel(f!.id, at)).toMatchObject({ status: 'completed', cancel_requested_at: null });
      expect(await s.jobs.requestCancel('job_01JD3Q8X5K2M7N4P6R8S0T2V4W', at)).toBeUndefined();
    });

    it('active lists queued and running jobs, narrowed by owner', async () => {
      const w = await world();
      const a = await w.open(A);
      const [q, r1, r2, f] = await a.jobs.create([spec(), spec({ server: 'x' }), spec({ server: 'y' }), spec()], T0);
      await a.jobs.update(f!.id, (j) => T.cancelJob(j, new Date(T0), 'no'));
      await a.jobs.claim(claimReq(A, { max: 1 }));
      await (await w.open(B)).jobs.claim(claimReq(B, { max: 1 }));
      const all = await a.jobs.active();
      expect(all.map((j) => j.id).sort()).toEqual([q!.id, r1!.id, r2!.id].sort());
      expect((await a.jobs.active({ owner: A.id })).map((j) => j.id)).toEqual([q!.id]);
      expect((await a.jobs.active({ owner: B.id })).map((j) => j.id)).toEqual([r1!.id]);
    });

    it('lists newest first with filters and a cursor that pages through every match once', async () => {
      const s = await (await world()).open(A);
      const parent = spec({ status: 'running', type: 'batch' });
      const specs = [parent];
      for (let i = 0; i < 23; i++)
        specs.push(spec({ server: i % 2 ? 'web' : 'db', type: i % 3 ? 'remote-bash' : 'deploy' }));
      for (let i = 0; i < 4; i++) specs.push(spec({ parent_id: parent.id, server: 'web' }));
      await s.jobs.create(specs, T0);
      const done = specs.filter((_, i) => i % 4 === 1);
      for (const d of done) await s.jobs.update(d.id, (j) => T.cancelJob(j, new Date(T0), 'x'));

      const pageAll = async (f: Parameters<typeof s.jobs.list>[0], size: number) => {
        const ids: string[] = [];
        let cursor: string | undefined;
        for (;;) {
          const p = await s.jobs.list(f, size, cursor);
          expect(p.jobs.length).toBeLessThanOrEqual(size);
          ids.push(...p.jobs.map((j) => j.id));
          if (!p.next_cursor) break;
          expect(p.jobs).toHaveLength(size);
          cursor = p.next_cursor;
        }
        return ids;
      };
      const newestFirst = (xs: typeof specs) => xs.map((x) => x.id).reverse();
      expect(await pageAll({}, 5)).toEqual(newestFirst(specs));
      expect(await pageAll({ server: 'web', status: 'queued' }, 3)).toEqual(
        newestFirst(specs.filter((x) => x.server === 'web' && !done.includes(x))),
      );
      expect(await pageAll({ type: 'deploy' }, 2)).toEqual(newestFirst(specs.filter((x) => x.type === 'deploy')));
      expect(await pageAll({ parent_id: parent.id }, 10)).toEqual(
        newestFirst(specs.filter((x) => x.parent_id === parent.id)),
      );
      expect(await pageAll({ top_level: true }, 7)).toEqual(newestFirst(specs.filter((x) => !x.parent_id)));
      expect(await pageAll({ status: 'cancelled' }, 100)).toEqual(newestFirst(done));
      expect(await s.jobs.list({ status: 'lost' }, 10)).toEqual({ jobs: [], next_cursor: null });
    });

    it('counts a batch’s children by status', async () => {
      const s = await (await world()).open(A);
      const parent = spec({ status: 'running' });
      const kids = [1, 2, 3, 4].map(() => spec({ parent_id: parent.id }));
      await s.jobs.create([parent, ...kids], T0);
      await s.jobs.claim(claimReq(A, { max: 2 }));
      await s.jobs.update(kids[0]!.id, (j) => T.exitJob(j, 0, new Date(T0)));
      await s.jobs.requestCancel(kids[3]!.id, T0);
      expect(await s.jobs.countChildren(parent.id)).toEqual({
        queued: 1,
        running: 1,
        completed: 1,
        failed: 0,
        cancelled: 1,
        lost: 0,
      });
    });

    it('deletes finished jobs that ended before a time, in batches, oldest first', async () => {
      const s = await (await world()).open(A);
      const specs = Array.from({ length: 7 }, () => spec());
      await s.jobs.create(specs, T0);
      for (const [i, sp] of specs.entries())
        if (i < 6) await s.jobs.update(sp.id, (j) => T.cancelJob(j, new Date(T0 + 1000 * i), 'x'));
      // Ended at T0+0s … T0+5s; the 7th is still queued.
      expect(await s.jobs.deleteFinished(T0 + 4500, 2)).toEqual([specs[0]!.id, specs[1]!.id]);
      expect(await s.jobs.deleteFinished(T0 + 4500, 10)).toEqual([specs[2]!.id, specs[3]!.id, specs[4]!.id]);
      expect(await s.jobs.deleteFinished(T0 + 4500, 10)).toEqual([]);
      expect(await s.jobs.get(specs[0]!.id)).toBeUndefined();
      expect(await s.jobs.get(specs[5]!.id)).toBeDefined();
      expect(await s.jobs.deleteFinished(T0 + 99_999, 10)).toEqual([specs[5]!.id]);
      expect((await s.jobs.get(specs[6]!.id))!.status).toBe('queued');
    });

    it('registers, heartbeats, lists and unregisters instances', async () => {
      const w = await world();
      const a = await w.open(A);
      const info = { ...A, version: '1.2.3', started_at: T0, max_jobs: 4 };
      await a.instances.register(info, T0 + 1);
      await a.instances.register({ ...B, version: '1.2.3', started_at: T0 + 5, max_jobs: 0 }, T0 + 5);
      expect(await a.instances.list()).toEqual([
        { ...info, heartbeat_at: T0 + 1 },
        { ...B, version: '1.2.3', started_at: T0 + 5, max_jobs: 0, heartbeat_at: T0 + 5 },
      ]);
      expect(await a.instances.heartbeat(A.id, T0 + 100)).toBe(true);
      expect((await a.instances.list())[0]!.heartbeat_at).toBe(T0 + 100);
      // Registering again refreshes the row.
      await a.instances.register({ ...info, version: '1.2.4' }, T0 + 200);
      expect((await a.instances.list())[0]).toMatchObject({ version: '1.2.4', heartbeat_at: T0 + 200 });
      await a.instances.unregister(B.id);
      expect((await a.instances.list()).map((i) => i.id)).toEqual([A.id]);
      expect(await a.instances.heartbeat(B.id, T0 + 300)).toBe(false);
    });

    it('takeOver gives each job of a stale or vanished owner to exactly one of two racing instances', async () => {
      const w = await world();
      const [a, b, c] = [await w.open(A), await w.open(B), await w.open(C)];
      const reg = (s: typeof a, i: typeof A, at: number) =>
        s.instances.register({ ...i, version: 'v', started_at: T0, max_jobs: 10 }, at);
      await reg(a, A, T0 + 60_000);
      await reg(b, B, T0 + 60_000);
      await reg(c, C, T0); // C stops heartbeating
      const parent = spec({ status: 'running' });
      const kids = Array.from({ length: 12 }, () => spec({ parent_id: parent.id }));
      await c.jobs.create([parent, ...kids], T0);
      const mine = await c.jobs.claim(claimReq(C, { max: 12, maxForInstance: 12 }));
      expect(mine).toHaveLength(12);
      // A job whose owner has no instance row at all is free too.
      const [ghost] = await a.jobs.create([spec()], T0);
      await a.jobs.claim(claimReq({ id: 'gone', host: 'h', pid: 1 }, { max: 1 }));
      expect(await a.jobs.takeOver(A, T0 - 1, T0 + 60_000)).toMatchObject([{ id: ghost!.id }]);

      const staleBefore = T0 + 15_000;
      const [ta, tb] = await Promise.all([
        a.jobs.takeOver(A, staleBefore, T0 + 60_000),
        b.jobs.takeOver(B, staleBefore, T0 + 60_000),
      ]);
      const got = [...ta, ...tb].map((j) => j.id).sort();
      expect(got).toEqual(kids.map((k) => k.id).sort());
      for (const j of ta) expect(j.owner).toEqual({ instance: A.id, host: A.host, pid: A.pid });
      for (const j of tb) expect(j.owner).toEqual({ instance: B.id, host: B.host, pid: B.pid });
      // The parent has no owner and stays so; the stale instance row is gone; nothing is left to take.
      expect((await a.jobs.get(parent.id))!.owner).toBeNull();
      expect((await a.instances.list()).map((i) => i.id).sort()).toEqual([A.id, B.id]);
      expect(await c.instances.heartbeat(C.id, T0 + 61_000)).toBe(false);
      expect(await b.jobs.takeOver(B, staleBefore, T0 + 60_000)).toEqual([]);
      expect((await a.jobs.active({ owner: C.id })).length).toBe(0);
    });
  });
}
