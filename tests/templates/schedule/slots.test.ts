import { describe, expect, it } from 'vitest';
import {
  compileSchedule,
  MAX_SLOTS_PER_CALL,
  nextSlots,
  parseScheduleSpec,
  slotsBetween,
} from '../../../src/templates/schedule/index.js';

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());
const t = (s: string) => new Date(s);

describe('slotsBetween: the half-open range (from, to]', () => {
  const hourly = parseScheduleSpec({ cron: '0 * * * *' });

  it('excludes a slot exactly at from and includes one exactly at to', () => {
    expect(iso(slotsBetween(hourly, t('2026-05-01T01:00:00Z'), t('2026-05-01T03:00:00Z')))).toEqual([
      '2026-05-01T02:00:00.000Z',
      '2026-05-01T03:00:00.000Z',
    ]);
  });

  it('is empty for an empty or reversed range', () => {
    expect(slotsBetween(hourly, t('2026-05-01T03:00:00Z'), t('2026-05-01T03:00:00Z'))).toEqual([]);
    expect(slotsBetween(hourly, t('2026-05-01T04:00:00Z'), t('2026-05-01T03:00:00Z'))).toEqual([]);
    expect(slotsBetween(hourly, t('2026-05-01T03:00:01Z'), t('2026-05-01T03:59:59Z'))).toEqual([]);
  });

  it('stops at the limit, and never lists more than 1000 at once', () => {
    const minutely = parseScheduleSpec({ every: '1m' });
    const year = [t('2026-01-01T00:00:00Z'), t('2027-01-01T00:00:00Z')] as const;
    expect(slotsBetween(minutely, ...year, 5)).toHaveLength(5);
    expect(slotsBetween(minutely, ...year, 10_000)).toHaveLength(MAX_SLOTS_PER_CALL);
    expect(slotsBetween(minutely, ...year)).toHaveLength(MAX_SLOTS_PER_CALL);
    expect(slotsBetween(minutely, ...year, 0)).toEqual([]);
  });

  it('gives the same slots for a spec and its compiled form, and the same on every call', () => {
    const compiled = compileSchedule(hourly);
    const range = [t('2026-05-01T00:00:00Z'), t('2026-05-02T00:00:00Z')] as const;
    expect(iso(slotsBetween(compiled, ...range))).toEqual(iso(slotsBetween(hourly, ...range)));
    expect(iso(slotsBetween(compiled, ...range))).toEqual(iso(slotsBetween(compiled, ...range)));
  });
});

describe('nextSlots', () => {
  it('cron: strictly after the given instant, to the second', () => {
    const spec = parseScheduleSpec({ cron: '30 2 * * *' });
    expect(iso(nextSlots(spec, t('2026-05-01T02:30:00Z'), 2))).toEqual([
      '2026-05-02T02:30:00.000Z',
      '2026-05-03T02:30:00.000Z',
    ]);
    expect(iso(nextSlots(spec, t('2026-05-01T02:29:59.999Z'), 1))).toEqual(['2026-05-01T02:30:00.000Z']);
  });

  it('cron macros and day-of-week names', () => {
    expect(iso(nextSlots(parseScheduleSpec({ cron: '@weekly' }), t('2026-05-01T00:00:00Z'), 1))).toEqual([
      '2026-05-03T00:00:00.000Z',
    ]);
    const weekdays = nextSlots(parseScheduleSpec({ cron: '0 9 * * MON-FRI' }), t('2026-05-01T10:00:00Z'), 3); // a Friday
    expect(iso(weekdays)).toEqual(['2026-05-04T09:00:00.000Z', '2026-05-05T09:00:00.000Z', '2026-05-06T09:00:00.000Z']);
  });

  it('cron fields are read in the schedule zone', () => {
    const spec = parseScheduleSpec({ cron: '0 9 * * *', tz: 'America/New_York' });
    expect(iso(nextSlots(spec, t('2026-01-15T00:00:00Z'), 1))).toEqual(['2026-01-15T14:00:00.000Z']); // EST, UTC-5
    expect(iso(nextSlots(spec, t('2026-07-15T00:00:00Z'), 1))).toEqual(['2026-07-15T13:00:00.000Z']); // EDT, UTC-4
  });

  it('every: anchored, so the slots do not depend on when you ask', () => {
    const spec = parseScheduleSpec({ every: '15m', anchor: '2026-01-01T00:05:00Z' });
    expect(iso(nextSlots(spec, t('2026-05-01T10:00:00Z'), 3))).toEqual([
      '2026-05-01T10:05:00.000Z',
      '2026-05-01T10:20:00.000Z',
      '2026-05-01T10:35:00.000Z',
    ]);
    expect(iso(nextSlots(spec, t('2026-05-01T10:05:00Z'), 1))).toEqual(['2026-05-01T10:20:00.000Z']);
    // The anchor is a phase, not a start: slots before it exist too.
    expect(iso(nextSlots(spec, t('2025-06-01T00:00:00Z'), 1))).toEqual(['2025-06-01T00:05:00.000Z']);
  });

  it('every without anchor falls on multiples of the period since the epoch', () => {
    const spec = parseScheduleSpec({ every: '90s' });
    const from = t('2026-05-01T10:00:00Z');
    const [first] = nextSlots(spec, from, 1);
    expect(first!.getTime() - from.getTime()).toBeGreaterThan(0);
    expect(first!.getTime() - from.getTime()).toBeLessThanOrEqual(90_000);
    for (const s of nextSlots(spec, t('2026-05-01T10:00:00Z'), 20)) expect(s.getTime() % 90_000).toBe(0);
  });

  it('at: one slot, then none', () => {
    const spec = parseScheduleSpec({ at: '2026-05-01T03:00', tz: 'Europe/Berlin' });
    expect(iso(nextSlots(spec, t('2026-04-01T00:00:00Z'), 5))).toEqual(['2026-05-01T01:00:00.000Z']);
    expect(nextSlots(spec, t('2026-05-01T01:00:00Z'), 5)).toEqual([]);
    expect(iso(slotsBetween(spec, t('2026-04-01T00:00:00Z'), t('2026-06-01T00:00:00Z')))).toEqual([
      '2026-05-01T01:00:00.000Z',
    ]);
  });
});
