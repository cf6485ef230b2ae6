import { describe, expect, it } from 'vitest';
import {
  decide,
  jitterMs,
  parseScheduleSpec,
  scheduleRunKey,
  type DecideInput,
  type ScheduleSpecInput,
} from '../../../src/templates/schedule/index.js';
import { instance, newStore, run } from './loop.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const ID = 'tpl_patch-web';
const t = (s: string) => new Date(s);
const at = (ms: number) => new Date(ms);
const iso = (dates: readonly { slot: Date }[]) => dates.map((d) => d.slot.toISOString());

function decision(
  spec: ScheduleSpecInput,
  state: { cursor: Date | null; since?: Date },
  now: Date,
  more: Partial<DecideInput> = {},
) {
  return decide({
    scheduleId: ID,
    schedule: parseScheduleSpec(spec),
    state: { cursor: state.cursor, since: state.since ?? t('2026-01-01T00:00:00Z') },
    now,
    activeRun: false,
    ...more,
  });
}

describe('a slot on time', () => {
  const hourly = { cron: '0 * * * *', tz: 'Europe/Berlin' };

  it('fires once, carrying its nominal time, its key and its start time', () => {
    const d = decision(hourly, { cursor: t('2026-05-01T09:00:00Z') }, t('2026-05-01T10:00:02Z'));
    expect(d.fire).toEqual([
      {
        slot: t('2026-05-01T10:00:00Z'),
        key: `${ID}@2026-05-01T10:00:00.000Z`,
        startAt: t('2026-05-01T10:00:00Z'),
        jitterMs: 0,
        late: false,
        replaceActive: false,
      },
    ]);
    expect(d).toMatchObject({ missed: null, skipped: [], cursor: t('2026-05-01T10:00:00Z'), advanced: true });
    expect(d.nextDueAt).toEqual(t('2026-05-01T11:00:00Z'));
  });

  it('decides nothing before the slot, and says when to ask again', () => {
    const d = decision(hourly, { cursor: t('2026-05-01T09:00:00Z') }, t('2026-05-01T09:59:59Z'));
    expect(d).toMatchObject({ fire: [], advanced: false, cursor: t('2026-05-01T09:00:00Z'), finished: false });
    expect(d.nextDueAt).toEqual(t('2026-05-01T10:00:00Z'));
  });

  it('never fires a handled slot again: a second decision at the same time finds nothing', () => {
    const first = decision(hourly, { cursor: t('2026-05-01T09:00:00Z') }, t('2026-05-01T10:00:02Z'));
    const again = decision(hourly, { cursor: first.cursor }, t('2026-05-01T10:00:03Z'));
    expect(again.fire).toEqual([]);
    expect(again.advanced).toBe(false);
  });

  it('a new schedule starts after its creation: a slot at or before `since` is never due', () => {
    const since = t('2026-05-01T10:00:00Z');
    expect(decision(hourly, { cursor: null, since }, t('2026-05-01T10:00:30Z')).fire).toEqual([]);
    expect(iso(decision(hourly, { cursor: null, since }, t('2026-05-01T11:00:01Z')).fire)).toEqual([
      '2026-05-01T11:00:00.000Z',
    ]);
  });

  it('a cursor ahead of the clock (another instance with a faster clock) means nothing is due yet', () => {
    const d = decision(hourly, { cursor: t('2026-05-01T10:00:00Z') }, t('2026-05-01T09:59:58Z'));
    expect(d).toMatchObject({ fire: [], advanced: false });
  });
});

describe('starting deadline', () => {
  const spec = { cron: '*/5 * * * *', starting_deadline_s: 10 };
  const cursor = t('2026-05-01T10:00:00Z');

  it('a slot noticed within the deadline starts', () => {
    expect(iso(decision(spec, { cursor }, t('2026-05-01T10:05:05Z')).fire)).toEqual(['2026-05-01T10:05:00.000Z']);
  });

  it('a slot noticed after the deadline is recorded as missed, not started, and the cursor moves past it', () => {
    const d = decision(spec, { cursor }, t('2026-05-01T10:05:30Z'));
    expect(d.fire).toEqual([]);
    expect(d.missed).toEqual({
      count: 1,
      exact: true,
      first: t('2026-05-01T10:05:00Z'),
      last: t('2026-05-01T10:05:00Z'),
      slots: [{ slot: t('2026-05-01T10:05:00Z'), key: `${ID}@2026-05-01T10:05:00.000Z`, reason: 'deadline' }],
    });
    expect(d.cursor).toEqual(t('2026-05-01T10:05:00Z'));
  });
});

describe('catch-up after a simulated downtime of 3 days', () => {
  // Hourly in Berlin; the last slot handled was 2026-05-01 10:00 UTC; deckhand comes back 3 days and 10 minutes later.
  const cursor = t('2026-05-01T10:00:00Z');
  const now = at(cursor.getTime() + 3 * DAY + 10 * MIN);
  const hourly = { cron: '0 * * * *', tz: 'Europe/Berlin' };
  const latestSlot = '2026-05-04T10:00:00.000Z';

  it('latest (default): one run, for the most recent missed slot; the other 71 are listed as missed', () => {
    const d = decision(hourly, { cursor }, now);
    expect(iso(d.fire)).toEqual([latestSlot]);
    expect(d.fire[0]?.late).toBe(true);
    expect(d.missed).toMatchObject({
      count: 71,
      exact: true,
      first: t('2026-05-01T11:00:00Z'),
      last: t('2026-05-04T09:00:00Z'),
    });
    expect(d.missed?.slots).toHaveLength(71);
    expect(new Set(d.missed?.slots.map((s) => s.reason))).toEqual(new Set(['catch_up']));
    expect(d.cursor?.toISOString()).toBe(latestSlot);
    expect(d.nextDueAt).toEqual(t('2026-05-04T11:00:00Z'));
  });

  it('none: nothing runs, all 72 are missed, and the schedule carries on from the next slot', () => {
    const d = decision({ ...hourly, catch_up: 'none' }, { cursor }, now);
    expect(d.fire).toEqual([]);
    expect(d.missed).toMatchObject({ count: 72, exact: true, last: t(latestSlot) });
    expect(d.cursor?.toISOString()).toBe(latestSlot);
    // Back to normal: the next slot, noticed on time, runs.
    expect(
      iso(decision({ ...hourly, catch_up: 'none' }, { cursor: d.cursor }, t('2026-05-04T11:00:01Z')).fire),
    ).toEqual(['2026-05-04T11:00:00.000Z']);
  });

  it('none still runs a slot noticed within the grace period, which the loop sets', () => {
    const threeMinutesLate = at(t(latestSlot).getTime() + 3 * MIN);
    expect(decision({ ...hourly, catch_up: 'none' }, { cursor }, threeMinutesLate).fire).toEqual([]);
    const d = decision({ ...hourly, catch_up: 'none' }, { cursor }, threeMinutesLate, { graceMs: 5 * MIN });
    expect(iso(d.fire)).toEqual([latestSlot]);
    expect(d.fire[0]?.late).toBe(false);
  });

  it('all with a cap: the most recent `catch_up_limit` slots run, oldest first; the rest are missed', () => {
    const d = decision(
      { ...hourly, catch_up: 'all', catch_up_limit: 10, concurrency_policy: 'Allow' },
      { cursor },
      now,
    );
    expect(iso(d.fire)).toEqual(
      Array.from({ length: 10 }, (_, i) => at(t(latestSlot).getTime() - (9 - i) * HOUR).toISOString()),
    );
    expect(d.fire.every((r) => r.late)).toBe(true);
    expect(d.missed).toMatchObject({
      count: 62,
      exact: true,
      first: t('2026-05-01T11:00:00Z'),
      last: t('2026-05-04T00:00:00Z'),
    });
    expect(d.missed?.slots).toHaveLength(62);
  });

  it('the starting deadline still applies during catch-up: only slots within it may run', () => {
    const latest = decision({ ...hourly, starting_deadline_s: 3600 }, { cursor }, now);
    expect(iso(latest.fire)).toEqual([latestSlot]);
    expect(new Set(latest.missed?.slots.map((s) => s.reason))).toEqual(new Set(['deadline']));

    const all = decision(
      { ...hourly, catch_up: 'all', catch_up_limit: 10, concurrency_policy: 'Allow', starting_deadline_s: 7200 },
      { cursor },
      now,
    );
    expect(iso(all.fire)).toEqual(['2026-05-04T09:00:00.000Z', latestSlot]); // 70 and 10 minutes old
    expect(all.missed?.count).toBe(70);

    const tooLate = decision({ ...hourly, starting_deadline_s: 300 }, { cursor }, now);
    expect(tooLate.fire).toEqual([]);
    expect(tooLate.missed?.count).toBe(72);
  });

  it('more than 100 missed slots are a count, never a list: exact for intervals', () => {
    const d = decision({ every: '1m' }, { cursor }, now);
    expect(d.fire).toHaveLength(1);
    expect(d.missed).toMatchObject({ count: 3 * 24 * 60 + 10 - 1, exact: true, slots: [] });
    expect(d.missed?.first).toEqual(at(cursor.getTime() + MIN));
    expect(d.missed?.last).toEqual(at(now.getTime() - MIN));
  });

  it('more than 100 missed cron slots are an estimate, marked as such, at a bounded cost', () => {
    const d = decision({ cron: '* * * * *', tz: 'Europe/Berlin' }, { cursor }, now);
    expect(d.fire).toHaveLength(1);
    expect(d.missed).toMatchObject({ count: 3 * 24 * 60 + 10 - 1, exact: false, slots: [] });
    expect(d.missed?.first).toEqual(at(cursor.getTime() + MIN));
    expect(d.missed?.last).toEqual(at(now.getTime() - MIN));
  });

  it('100 missed slots are still listed; 101 are counted', () => {
    const hundred = decision({ every: '1m' }, { cursor }, at(cursor.getTime() + 101 * MIN));
    expect(hundred.missed).toMatchObject({ count: 100, exact: true });
    expect(hundred.missed?.slots).toHaveLength(100);
    const cronHundred = decision({ cron: '* * * * *' }, { cursor }, at(cursor.getTime() + 101 * MIN));
    expect(cronHundred.missed).toMatchObject({ count: 100, exact: true });
    expect(cronHundred.missed?.slots).toHaveLength(100);
    const hundredOne = decision({ cron: '* * * * *' }, { cursor }, at(cursor.getTime() + 102 * MIN));
    expect(hundredOne.missed).toMatchObject({ count: 101, slots: [] });
  });

  it('an `at` that passed during the downtime runs late with latest, and is missed with none; either way it is finished', () => {
    const once = { at: '2026-05-02T03:00:00Z' };
    const late = decision(once, { cursor: null, since: cursor }, now);
    expect(iso(late.fire)).toEqual(['2026-05-02T03:00:00.000Z']);
    expect(late).toMatchObject({ finished: true, nextDueAt: null });
    const none = decision({ ...once, catch_up: 'none' }, { cursor: null, since: cursor }, now);
    expect(none.fire).toEqual([]);
    expect(none.missed?.count).toBe(1);
    expect(none.finished).toBe(true);
  });
});

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

describe('jitter in the decision', () => {
  it('delays the start deterministically, and two instances compute the same key and start', () => {
    const spec = { cron: '0 3 * * *', jitter_s: 600 };
    const cursor = t('2026-05-01T03:00:00Z');
    const a = decision(spec, { cursor }, t('2026-05-02T03:00:00Z'));
    const b = decision(spec, { cursor }, t('2026-05-02T03:00:00.400Z'));
    expect(a.fire).toEqual(b.fire);
    const run0 = a.fire[0]!;
    expect(run0.jitterMs).toBe(jitterMs(ID, t('2026-05-02T03:00:00Z'), 600));
    expect(run0.startAt.getTime() - run0.slot.getTime()).toBe(run0.jitterMs);
    expect(run0.key).toBe(scheduleRunKey(ID, t('2026-05-02T03:00:00Z')));
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
