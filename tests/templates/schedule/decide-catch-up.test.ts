import { describe, expect, it } from 'vitest';
import { at, DAY, decision, HOUR, iso, MIN, t } from './decision.js';

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
