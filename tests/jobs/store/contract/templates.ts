import { describe, expect, it } from 'vitest';
import type { RunStats, Stores, StoredTemplate } from '../../../../src/jobs/store/contract.js';
import * as T from '../../../../src/jobs/types.js';
import { A, B, expectCode, spec, T0, type MakeWorld } from './world.js';

const DAY = 86_400_000;

function tpl(name: string, over: Partial<StoredTemplate> = {}): StoredTemplate {
  return {
    id: `tpl_${name}`,
    name,
    status: 'enabled',
    version: 1,
    definition: { command: `echo ${name}`, n: 0 },
    created_at: T0,
    updated_at: T0,
    schedule_state: { cursor: null, since: T0, next_due_at: null },
    ...over,
  };
}

type End =
  { kind: 'completed' | 'failed'; ms: number; code?: number } | { kind: 'lost' | 'cancelled' | 'running' | 'queued' };

/**
 * A template run created at `at` that ended as asked: completed and failed ones started at `at + 10` and ran `ms`.
 * Answers the job as stored.
 */
async function run(
  s: Stores,
  t: { id: string; version: number },
  at: number,
  end: End,
  over: Parameters<typeof spec>[0] = {},
): Promise<T.Job> {
  const sp = spec({ template: { id: t.id, version: t.version, trigger: 'manual' }, ...over }, at);
  const [job] = await s.jobs.create([sp], at);
  const started = at + 10;
  const change = (f: (j: T.Job) => T.Job) => s.jobs.update(sp.id, f);
  switch (end.kind) {
    case 'queued':
      break;
    case 'running':
      await change((j) => T.startJob(j, new Date(started)));
      break;
    case 'cancelled':
      await change((j) => T.cancelJob(j, new Date(started), 'cancelled by the test'));
      break;
    case 'lost':
      await change((j) => T.loseJob(T.startJob(j, new Date(started)), new Date(started + 5), 'gone'));
      break;
    default:
      await change((j) =>
        T.exitJob(
          T.startJob(j, new Date(started)),
          end.code ?? (end.kind === 'completed' ? 0 : 1),
          new Date(started + end.ms),
        ),
      );
  }
  return (await s.jobs.get(job!.id))!;
}

async function logOf(s: Stores, id: string, lines: number): Promise<void> {
  const w = await s.logs.open(id, { maxBytes: 1 << 20 });
  for (let i = 1; i <= lines; i++) w.add('stdout', `line ${i} of ${id}`, (w.offsets.out ?? 0) + 30);
  await w.flush();
  await w.close();
}

export function templatesContract(world: MakeWorld): void {
  describe('templates', () => {
    it('creates at version 1 (its version row too), reads by name and id; a taken name is template_exists', async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      const t = tpl('patch-web', { definition: { command: 'apt-get upgrade -y', nested: { a: [1, 2] } } });
      expect(await a.templates.create(t)).toEqual(t);
      expect(await b.templates.get('patch-web')).toEqual(t);
      expect(await b.templates.getById(t.id)).toEqual(t);
      expect(await b.templates.get('nope')).toBeUndefined();
      expect(await b.templates.getById('tpl_nope')).toBeUndefined();
      expect(await b.templates.versions(t.id, 10)).toEqual([{ version: 1, definition: t.definition, created_at: T0 }]);
      const err = await expectCode(b.templates.create(tpl('patch-web', { id: 'tpl_other' })), 'template_exists');
      expect(err.message).toContain('patch-web');
      // The loser wrote nothing: no version row under its id.
      expect(await a.templates.versions('tpl_other', 10)).toEqual([]);
    });

    it('update raises the version by one with its version row in the same write; versions newest first', async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      const t = await a.templates.create(tpl('deploy'));
      const v2 = await b.templates.update('deploy', (x) => ({
        ...x,
        version: 2,
        definition: { command: 'v2' },
        updated_at: T0 + 1000,
      }));
      expect(v2).toMatchObject({ version: 2, definition: { command: 'v2' }, updated_at: T0 + 1000 });
      // A change that keeps the version (status, firing state) writes no version row.
      await a.templates.update('deploy', (x) => ({ ...x, status: 'disabled' }));
      expect(await a.templates.get('deploy')).toMatchObject({ version: 2, status: 'disabled' });
      expect((await a.templates.versions(t.id, 10)).map((v) => v.version)).toEqual([2, 1]);
      expect(await a.templates.version(t.id, 1)).toEqual({ version: 1, definition: t.definition, created_at: T0 });
      expect(await a.templates.version(t.id, 2)).toEqual({
        version: 2,
        definition: { command: 'v2' },
        created_at: T0 + 1000,
      });
      expect(await a.templates.version(t.id, 3)).toBeUndefined();
      // No change: undefined from the change leaves it as it is and answers it.
      expect(await a.templates.update('deploy', () => undefined)).toMatchObject({ version: 2 });
      expect(await a.templates.update('nope', (x) => x)).toBeUndefined();
      // Skipping a version, renaming, or a change that throws: nothing is written.
      await expect(a.templates.update('deploy', (x) => ({ ...x, version: 4 }))).rejects.toThrow(/by one/);
      await expect(a.templates.update('deploy', (x) => ({ ...x, name: 'other' }))).rejects.toThrow(/id and name/);
      await expect(
        a.templates.update('deploy', () => {
          throw new Error('refused');
        }),
      ).rejects.toThrow('refused');
      expect(await b.templates.get('deploy')).toMatchObject({ version: 2, definition: { command: 'v2' } });
      expect((await b.templates.versions(t.id, 10)).map((v) => v.version)).toEqual([2, 1]);
      expect((await b.templates.versions(t.id, 1)).map((v) => v.version)).toEqual([2]);
    });

    it('concurrent updates from two instances lose nothing: each is one version, in order', async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      const t = await a.templates.create(tpl('counter'));
      const bump = (s: Stores) =>
        s.templates.update('counter', (x) => ({
          ...x,
          version: x.version + 1,
          definition: { n: (x.definition.n as number) + 1 },
        }));
      await Promise.all(Array.from({ length: 10 }, (_, i) => bump(i % 2 === 0 ? a : b)));
      expect(await a.templates.get('counter')).toMatchObject({ version: 11, definition: { n: 10 } });
      const versions = await b.templates.versions(t.id, 100);
      expect(versions.map((v) => v.version)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
      expect(versions.map((v) => v.definition.n)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    });

    it('lists by name in pages; archived ones only when asked for by status', async () => {
      const s = await (await world()).open(A);
      for (const n of ['e', 'b', 'd', 'a', 'c']) await s.templates.create(tpl(`t-${n}`));
      await s.templates.create(tpl('t-bb', { status: 'archived' }));
      await s.templates.create(tpl('t-cc', { status: 'disabled' }));
      const names = (ts: StoredTemplate[]) => ts.map((t) => t.name);
      expect(names(await s.templates.list({ limit: 3 }))).toEqual(['t-a', 't-b', 't-c']);
      expect(names(await s.templates.list({ limit: 3, after: 't-c' }))).toEqual(['t-cc', 't-d', 't-e']);
      expect(names(await s.templates.list({ limit: 3, after: 't-e' }))).toEqual([]);
      expect(names(await s.templates.list({ limit: 10, status: 'archived' }))).toEqual(['t-bb']);
      expect(names(await s.templates.list({ limit: 10, status: 'disabled' }))).toEqual(['t-cc']);
    });

    it('delete removes the template, its versions and schedule events, and keeps its runs (without kept logs)', async () => {
      const w = await world();
      const a = await w.open(A);
      const t = await a.templates.create(tpl('gone', { definition: { history: 1 } }));
      await a.templates.update('gone', (x) => ({ ...x, version: 2 }));
      await a.templates.recordScheduleEvents(t.id, [{ slot: T0, kind: 'missed', reason: 'x', count: 1, at: T0 }]);
      const r = await run(a, t, T0 + 1000, { kind: 'completed', ms: 5 });
      await a.templates.keepHistory(t.id, { successful: 1, failed: 1 });
      expect(await a.jobs.keptLogs()).toEqual([r.id]);
      expect(await a.templates.delete('gone')).toMatchObject({ id: t.id, version: 2 });
      expect(await a.templates.get('gone')).toBeUndefined();
      expect(await a.templates.versions(t.id, 10)).toEqual([]);
      expect(await a.templates.scheduleEvents(t.id, 10)).toEqual([]);
      expect(await a.templates.delete('gone')).toBeUndefined();
      const job = await (await w.open(B)).jobs.get(r.id);
      expect(job).toMatchObject({ status: 'completed', template: { id: t.id, version: 1, trigger: 'manual' } });
      expect(await a.jobs.keptLogs()).toEqual([]);
      // The name is free again.
      await a.templates.create(tpl('gone', { id: 'tpl_gone2' }));
    });

    it('due: enabled templates whose next_due_at has come, most overdue first, within the limit', async () => {
      const s = await (await world()).open(A);
      const due = (n: string, next: number | null, status: StoredTemplate['status'] = 'enabled') =>
        s.templates.create(tpl(n, { status, schedule_state: { cursor: null, since: T0, next_due_at: next } }));
      await due('later', T0 + 1000);
      await due('now', T0);
      await due('overdue', T0 - 2000);
      await due('old', T0 - 1000);
      await due('none', null);
      await due('disabled', T0 - 5000, 'disabled');
      await due('archived', T0 - 5000, 'archived');
      const names = (ts: StoredTemplate[]) => ts.map((t) => t.name);
      expect(names(await s.templates.due(T0, 10))).toEqual(['overdue', 'old', 'now']);
      expect(names(await s.templates.due(T0, 2))).toEqual(['overdue', 'old']);
      expect(names(await s.templates.due(T0 + 1000, 10))).toEqual(['overdue', 'old', 'now', 'later']);
      expect(names(await s.templates.due(T0 - 3000, 10))).toEqual([]);
    });

    it('advanceSchedule never moves the cursor back; next_due_at is taken as given', async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      const t = await a.templates.create(tpl('sched'));
      const state = async () => (await a.templates.getById(t.id))!.schedule_state;
      await a.templates.advanceSchedule(t.id, { cursor: T0 + 200, next_due_at: T0 + 300 });
      expect(await state()).toEqual({ cursor: T0 + 200, since: T0, next_due_at: T0 + 300 });
      // A slower instance that decided on older slots.
      await b.templates.advanceSchedule(t.id, { cursor: T0 + 100, next_due_at: T0 + 250 });
      expect(await state()).toEqual({ cursor: T0 + 200, since: T0, next_due_at: T0 + 250 });
      await b.templates.advanceSchedule(t.id, { cursor: null, next_due_at: null });
      expect(await state()).toEqual({ cursor: T0 + 200, since: T0, next_due_at: null });
      await b.templates.advanceSchedule(t.id, { cursor: T0 + 900, next_due_at: T0 + 1000 });
      expect(await state()).toEqual({ cursor: T0 + 900, since: T0, next_due_at: T0 + 1000 });
      // Racing instances: the cursor ends at the furthest.
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? a : b).templates.advanceSchedule(t.id, { cursor: T0 + 1000 + i, next_due_at: T0 + 2000 }),
        ),
      );
      expect((await state()).cursor).toBe(T0 + 1009);
      // A template that is gone: nothing happens.
      await a.templates.advanceSchedule('tpl_missing', { cursor: 1, next_due_at: 1 });
    });

    it('recordScheduleEvents is idempotent per slot and kind; events newest slot first', async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      const t = await a.templates.create(tpl('events'));
      const ev = (slot: number, kind: 'skipped' | 'missed', reason: string) => ({
        slot,
        kind,
        reason,
        count: 1,
        at: T0 + 5000,
      });
      await a.templates.recordScheduleEvents(t.id, [ev(T0, 'skipped', 'first'), ev(T0 + 60_000, 'missed', 'first')]);
      await Promise.all([
        b.templates.recordScheduleEvents(t.id, [ev(T0, 'skipped', 'second'), ev(T0, 'missed', 'other kind')]),
        a.templates.recordScheduleEvents(t.id, [ev(T0 + 60_000, 'missed', 'second')]),
      ]);
      await a.templates.recordScheduleEvents(t.id, []);
      const events = await b.templates.scheduleEvents(t.id, 10);
      expect(events).toHaveLength(3);
      expect(events[0]).toEqual(ev(T0 + 60_000, 'missed', 'first'));
      expect(events.slice(1).sort((x, y) => x.kind.localeCompare(y.kind))).toEqual([
        ev(T0, 'missed', 'other kind'),
        ev(T0, 'skipped', 'first'),
      ]);
      // Many at once (a catch-up's missed slots), and a count standing for more.
      const many = Array.from({ length: 250 }, (_, i) => ev(T0 + (i + 2) * 60_000, 'missed', 'catch_up'));
      await a.templates.recordScheduleEvents(t.id, [
        ...many,
        { ...ev(T0 + 999 * 60_000, 'missed', 'many'), count: 700 },
      ]);
      const newest = await a.templates.scheduleEvents(t.id, 2);
      expect(newest).toEqual([
        { ...ev(T0 + 999 * 60_000, 'missed', 'many'), count: 700 },
        ev(T0 + 251 * 60_000, 'missed', 'catch_up'),
      ]);
      expect(await a.templates.scheduleEvents(t.id, 1000)).toHaveLength(254);
    });

    it('runStats against a hand-counted history: counts, success rate, nearest-rank p50/p95, last run and failure, per version', async () => {
      const w = await world();
      const a = await w.open(A);
      const t = await a.templates.create(tpl('stats'));
      const empty = await a.templates.create(tpl('empty'));
      const v1 = { id: t.id, version: 1 };
      const v2 = { id: t.id, version: 2 };
      const at = (i: number) => T0 + i * 1000;
      await run(a, v1, at(1), { kind: 'completed', ms: 100 });
      await run(a, v1, at(2), { kind: 'completed', ms: 300 });
      const f1 = await run(a, v1, at(3), { kind: 'failed', ms: 200, code: 2 });
      await run(a, v1, at(4), { kind: 'completed', ms: 400 });
      const c1 = await run(a, v1, at(5), { kind: 'cancelled' });
      await run(a, v2, at(6), { kind: 'completed', ms: 1000 });
      await run(a, v2, at(7), { kind: 'lost' });
      const f2 = await run(a, v2, at(8), { kind: 'failed', ms: 50 });
      await run(a, v2, at(9), { kind: 'running' });
      const newest = await run(a, v2, at(10), { kind: 'queued' });
      // Not the template's: another template's run, a plain job, and a batch child (only the parent carries it).
      await run(a, { id: 'tpl_other', version: 1 }, at(11), { kind: 'failed', ms: 1 });
      await a.jobs.create([spec({}, at(12))], at(12));

      const stats = await (await w.open(B)).templates.runStats([t.id, empty.id, 'tpl_unknown']);
      const all: RunStats = {
        runs: 10,
        completed: 4,
        failed: 2,
        cancelled: 1,
        lost: 1,
        active: 2,
        success_rate: 4 / 7,
        // Durations of completed and failed runs: 50 100 200 300 400 1000.
        p50_ms: 200,
        p95_ms: 1000,
        last_run: { job_id: newest.id, status: 'queued', created_at: at(10) },
        last_failure: {
          job_id: f2.id,
          status: 'failed',
          finished_at: at(8) + 10 + 50,
          error: { code: 'exit_code', message: 'The command exited with code 1.' },
        },
      };
      expect(stats.get(t.id)).toEqual(all);
      const none: RunStats = {
        runs: 0,
        completed: 0,
        failed: 0,
        cancelled: 0,
        lost: 0,
        active: 0,
        success_rate: null,
        p50_ms: null,
        p95_ms: null,
        last_run: null,
        last_failure: null,
      };
      expect(stats.get(empty.id)).toEqual(none);
      expect(stats.get('tpl_unknown')).toEqual(none);
      expect((await a.templates.runStats([])).size).toBe(0);

      expect((await a.templates.runStats([t.id], 1)).get(t.id)).toEqual({
        runs: 5,
        completed: 3,
        failed: 1,
        cancelled: 1,
        lost: 0,
        active: 0,
        success_rate: 0.75,
        // 100 200 300 400: rank ceil(0.5·4) = 2, ceil(0.95·4) = 4.
        p50_ms: 200,
        p95_ms: 400,
        last_run: { job_id: c1.id, status: 'cancelled', created_at: at(5) },
        last_failure: {
          job_id: f1.id,
          status: 'failed',
          finished_at: at(3) + 10 + 200,
          error: { code: 'exit_code', message: 'The command exited with code 2.' },
        },
      });
      expect((await a.templates.runStats([t.id], 2)).get(t.id)).toEqual({
        runs: 5,
        completed: 1,
        failed: 1,
        cancelled: 0,
        lost: 1,
        active: 2,
        success_rate: 1 / 3,
        p50_ms: 50,
        p95_ms: 1000,
        last_run: all.last_run,
        last_failure: all.last_failure,
      });
      expect((await a.templates.runStats([t.id], 3)).get(t.id)).toEqual(none);
    });

    it('runStats: a lost run is the last failure when it is the newest; a run not yet ended has no success rate', async () => {
      const s = await (await world()).open(A);
      const t = await s.templates.create(tpl('lost'));
      await run(s, t, T0 + 1, { kind: 'failed', ms: 10 });
      const lost = await run(s, t, T0 + 2, { kind: 'lost' });
      const st = (await s.templates.runStats([t.id])).get(t.id)!;
      expect(st.last_failure).toMatchObject({ job_id: lost.id, status: 'lost', error: { code: 'lost' } });
      expect(st.success_rate).toBe(0);
      // The lost run has no duration that counts.
      expect([st.p50_ms, st.p95_ms]).toEqual([10, 10]);
      const u = await s.templates.create(tpl('queued-only'));
      await run(s, u, T0 + 3, { kind: 'queued' });
      await run(s, u, T0 + 4, { kind: 'cancelled' });
      expect((await s.templates.runStats([u.id])).get(u.id)).toMatchObject({
        runs: 2,
        active: 1,
        cancelled: 1,
        success_rate: null,
        p50_ms: null,
      });
    });

    it('slotTaken says whether a job carries the key; activeRuns lists queued and running runs, oldest first', async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      const t = await a.templates.create(tpl('slots'));
      const key = `${t.id}@2027-01-15T08:00:00.000Z`;
      expect(await b.templates.slotTaken(key)).toBe(false);
      const q = await run(a, t, T0 + 1, { kind: 'queued' }, { unique_key: key });
      expect(await b.templates.slotTaken(key)).toBe(true);
      const r = await run(a, t, T0 + 2, { kind: 'running' });
      await run(a, t, T0 + 3, { kind: 'completed', ms: 1 });
      await run(a, t, T0 + 4, { kind: 'cancelled' });
      await run(a, { id: 'tpl_other', version: 1 }, T0 + 5, { kind: 'queued' });
      expect(await b.templates.activeRuns(t.id)).toEqual([q.id, r.id]);
      await a.jobs.update(q.id, (j) => T.cancelJob(j, new Date(T0 + 10), 'x'));
      expect(await b.templates.activeRuns(t.id)).toEqual([r.id]);
      // The key stays taken once its run ended.
      expect(await b.templates.slotTaken(key)).toBe(true);
    });

    it('keepHistory keeps the newest N successful and M failed runs (a batch with its children) past deleteFinished and the log sweep', async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      const t = await a.templates.create(tpl('history'));
      const ref = { template: { id: t.id, version: 1, trigger: 'schedule' as const } };
      const at = (i: number) => T0 + i * 1000;
      const c1 = await run(a, t, at(1), { kind: 'completed', ms: 5 });
      // c2: a batch of two children, completed.
      const parent = spec({ ...ref, type: 'batch', status: 'running' }, at(2));
      const kids = [0, 1].map((i) => spec({ parent_id: parent.id, server: `s${i}` }, at(2)));
      await a.jobs.create([parent, ...kids], at(2));
      for (const k of kids)
        await a.jobs.update(k.id, (j) => T.exitJob(T.startJob(j, new Date(at(2))), 0, new Date(at(2) + 5)));
      await a.jobs.update(parent.id, (j) => T.exitJob(j, 0, new Date(at(2) + 6)));
      const f1 = await run(a, t, at(3), { kind: 'failed', ms: 5 });
      const l1 = await run(a, t, at(4), { kind: 'lost' });
      const active = await run(a, t, at(5), { kind: 'running' });
      const plain = await run(a, { id: 'tpl_other', version: 1 }, at(6), { kind: 'completed', ms: 5 });
      const ids = [c1.id, parent.id, ...kids.map((k) => k.id), f1.id, l1.id, plain.id];
      for (const id of ids) await logOf(a, id, 20);

      await b.templates.keepHistory(t.id, { successful: 1, failed: 1 });
      const kept = [parent.id, ...kids.map((k) => k.id), l1.id];
      expect((await a.jobs.keptLogs()).sort()).toEqual([...kept].sort());

      // The log sweep long after: only the kept logs (and the running run's) stay.
      const later = T0 + 60 * DAY;
      await a.logs.sweep({ keepDays: 30, maxTotalBytes: 1 << 30 }, later);
      for (const id of kept) expect((await b.logs.read(id, { limit: 100 })).lines, id).toHaveLength(20);
      for (const id of [c1.id, f1.id, plain.id])
        expect((await b.logs.read(id, { limit: 100 })).removed, id).toBeDefined();
      // Also past a byte cap of nothing.
      await b.logs.sweep({ keepDays: 30, maxTotalBytes: 0 }, later);
      for (const id of kept) expect((await a.logs.read(id, { limit: 100 })).lines, id).toHaveLength(20);

      // Records: deleteFinished leaves the kept runs and the active one.
      const deleted = [];
      for (;;) {
        const d = await a.jobs.deleteFinished(later, 2);
        if (d.length === 0) break;
        deleted.push(...d);
      }
      expect(deleted.sort()).toEqual([c1.id, f1.id, plain.id].sort());
      for (const id of [...kept, active.id]) expect(await b.jobs.get(id), id).toBeDefined();

      // A newer success takes the protection over; the batch and its children lose it.
      const c3 = await run(a, t, at(7), { kind: 'completed', ms: 5 });
      await a.templates.keepHistory(t.id, { successful: 1, failed: 1 });
      expect((await b.jobs.keptLogs()).sort()).toEqual([c3.id, l1.id].sort());
      expect((await a.jobs.deleteFinished(later, 10)).sort()).toEqual([parent.id, ...kids.map((k) => k.id)].sort());

      // Limits of 0 keep nothing.
      await a.templates.keepHistory(t.id, { successful: 0, failed: 0 });
      expect(await b.jobs.keptLogs()).toEqual([]);
    });
  });
}
