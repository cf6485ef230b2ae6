import { describe, expect, it } from 'vitest';
import { parseScheduleSpec } from '../../../src/templates/schedule/index.js';
import { at, DAY, decision, ID, iso, MIN, t } from './decision.js';
import { instance, newStore, run } from './loop.js';

describe('concurrency policy with a run still active', () => {
  const cursor = t('2026-05-01T10:00:00Z');
  const now = t('2026-05-01T11:00:01Z');
  const spec = (policy: string) => ({ cron: '0 * * * *', concurrency_policy: policy });

  it('Forbid (default): the slot is skipped and recorded, and the cursor moves past it', () => {
    const d = decision({ cron: '0 * * * *' }, { cursor }, now, { activeRun: true });
    expect(d.fire).toEqual([]);
    expect(d.skipped).toEqual([
      { slot: t('2026-05-01T11:00:00Z'), key: `${ID}@2026-05-01T11:00:00.000Z`, reason: 'forbid' },
    ]);
    expect(d.cursor).toEqual(t('2026-05-01T11:00:00Z'));
  });

  it('Replace: the slot starts, marked to cancel the active run first', () => {
    const d = decision(spec('Replace'), { cursor }, now, { activeRun: true });
    expect(d.fire).toMatchObject([{ slot: t('2026-05-01T11:00:00Z'), replaceActive: true }]);
  });

  it('Allow: the slot starts alongside', () => {
    const d = decision(spec('Allow'), { cursor }, now, { activeRun: true });
    expect(d.fire).toMatchObject([{ slot: t('2026-05-01T11:00:00Z'), replaceActive: false }]);
  });

  it('with no run active, every policy simply starts the slot', () => {
    for (const p of ['Forbid', 'Replace', 'Allow']) {
      expect(decision(spec(p), { cursor }, now).fire).toMatchObject([{ replaceActive: false }]);
    }
  });

  // every 10 minutes, runs of 25 minutes, two hours of a 1-second tick.
  const T0 = t('2026-05-01T10:00:00Z').getTime();
  function longRuns(policy: 'Forbid' | 'Allow' | 'Replace') {
    const store = newStore();
    const sched = instance({
      id: ID,
      spec: parseScheduleSpec({ every: '10m', concurrency_policy: policy }),
      store,
      since: at(T0 - 1000),
      runMs: 25 * MIN,
    });
    run([sched], T0 - 1000, T0 + 115 * MIN, 1000);
    return { store, sched };
  }

  it('a long-running run under Forbid: slots that come while it runs are skipped, the next free one runs', () => {
    const { store, sched } = longRuns('Forbid');
    const minutes = (d: Date) => (d.getTime() - T0) / MIN;
    expect([...store.runs.values()].map((r) => minutes(r.slot))).toEqual([0, 30, 60, 90]);
    expect(store.skipped.map((s) => minutes(s.slot))).toEqual([10, 20, 40, 50, 70, 80, 100, 110]);
    // The loop asked once to learn the first slot, then once per slot: 13 decisions, not one per each of 6,900 ticks.
    expect(sched.decisions).toBe(13);
  });

  it('a long-running run under Allow: every slot runs, up to three at once', () => {
    const { store } = longRuns('Allow');
    const runs = [...store.runs.values()];
    expect(runs).toHaveLength(12);
    const overlap = Math.max(...runs.map((r) => runs.filter((o) => o.start <= r.start && r.start < o.end).length));
    expect(overlap).toBe(3);
  });

  it('a long-running run under Replace: every slot runs and cancels the one before', () => {
    const { store } = longRuns('Replace');
    const runs = [...store.runs.values()];
    expect(runs).toHaveLength(12);
    expect(runs.filter((r) => r.replaced)).toHaveLength(11);
    expect(runs.every((r, i) => i === 0 || (runs[i - 1] as (typeof runs)[0]).end === r.start)).toBe(true);
  });
});

describe('suspend and resume', () => {
  const cursor = t('2026-05-01T10:00:00Z');
  const resumeAt = at(cursor.getTime() + 3 * DAY + 10 * MIN);
  const hourly = { cron: '0 * * * *' };

  it('a suspended schedule fires nothing for 3 days of ticks, and keeps its cursor', () => {
    const store = newStore(cursor);
    const sched = instance({
      id: ID,
      spec: parseScheduleSpec({ ...hourly, suspend: true }),
      store,
      since: cursor,
      runMs: MIN,
    });
    run([sched], cursor.getTime(), resumeAt.getTime(), 10_000);
    expect(store.runs.size).toBe(0);
    expect(store.cursor).toEqual(cursor);
    expect(store.missed).toEqual([]);
    const d = decision({ ...hourly, suspend: true }, { cursor }, resumeAt);
    expect(d).toMatchObject({ suspended: true, finished: false, nextDueAt: null, advanced: false });
  });

  it('on resume, only the catch-up policy applies to the slots that passed', () => {
    const latest = decision(hourly, { cursor }, resumeAt);
    expect(iso(latest.fire)).toEqual(['2026-05-04T10:00:00.000Z']);
    expect(latest.missed?.count).toBe(71);

    const none = decision({ ...hourly, catch_up: 'none' }, { cursor }, resumeAt);
    expect(none.fire).toEqual([]);
    expect(none.missed?.count).toBe(72);

    const all = decision(
      { ...hourly, catch_up: 'all', catch_up_limit: 5, concurrency_policy: 'Allow' },
      { cursor },
      resumeAt,
    );
    expect(all.fire).toHaveLength(5);
    expect(all.missed?.count).toBe(67);
  });
});

describe('exactly once across two instances', () => {
  it('two loops sharing a store, ticking out of phase, run each of 200 slots exactly once', () => {
    const spec = parseScheduleSpec({ every: '1m', jitter_s: 20, concurrency_policy: 'Allow' });
    const T0 = t('2026-05-01T10:00:00Z').getTime();
    const store = newStore();
    const a = instance({ id: ID, spec, store, since: at(T0), runMs: 5000 });
    const b = instance({ id: ID, spec, store, since: at(T0), runMs: 5000 });
    // Both tick every 700 ms, B 300 ms behind A, and each tick is a transaction: both read the store before
    // either writes, so whenever both find a slot due they both decide to fire it, and race on its key.
    for (let now = T0; now <= T0 + 200 * MIN + 1000; now += 700) {
      const writeA = a.prepare(now);
      const writeB = b.prepare(now + 300);
      writeA?.();
      writeB?.();
    }
    const slots = [...store.runs.values()].map((r) => r.slot.getTime());
    expect(slots).toHaveLength(200);
    expect(new Set(slots).size).toBe(200);
    expect(slots).toEqual(Array.from({ length: 200 }, (_, i) => T0 + (i + 1) * MIN));
    expect(store.duplicates).toBeGreaterThan(0); // they did race: the unique key settled it
    expect(store.missed).toEqual([]);
  });
});
