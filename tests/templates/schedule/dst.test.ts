import { describe, expect, it } from 'vitest';
import {
  compileSchedule,
  decide,
  nextSlots,
  parseScheduleSpec,
  slotsBetween,
  zonedIsoFormatter,
  type ScheduleSpecInput,
} from '../../../src/templates/schedule/index.js';

/**
 * Both DST changeover days of 2026 in both zones, each as the whole local day (00:00 to 24:00 local time, so the
 * spring days are 23 hours long and the autumn days 25):
 *   Europe/Berlin     29 March 02:00 CET → 03:00 CEST;   25 October 03:00 CEST → 02:00 CET (02:00–03:00 twice)
 *   America/New_York   8 March 02:00 EST → 03:00 EDT;     1 November 02:00 EDT → 01:00 EST (01:00–02:00 twice)
 */
const DAYS = [
  { zone: 'Europe/Berlin', change: 'spring', from: '2026-03-28T23:00:00Z', to: '2026-03-29T22:00:00Z', hours: 23 },
  { zone: 'Europe/Berlin', change: 'autumn', from: '2026-10-24T22:00:00Z', to: '2026-10-25T23:00:00Z', hours: 25 },
  { zone: 'America/New_York', change: 'spring', from: '2026-03-08T05:00:00Z', to: '2026-03-09T04:00:00Z', hours: 23 },
  { zone: 'America/New_York', change: 'autumn', from: '2026-11-01T04:00:00Z', to: '2026-11-02T05:00:00Z', hours: 25 },
] as const;

const HOUR = 3_600_000;

/** Slots of one local day, [00:00, 24:00), shown in the zone. */
function day(input: ScheduleSpecInput, from: string, to: string): { slots: Date[]; local: string[] } {
  const spec = parseScheduleSpec(input);
  // (from - 1 ms, to - 1 ms] is [from, to) for whole-second slots.
  const slots = slotsBetween(spec, new Date(Date.parse(from) - 1), new Date(Date.parse(to) - 1));
  return { slots, local: slots.map(zonedIsoFormatter(spec.tz)) };
}

function gaps(slots: Date[]): number[] {
  return slots.slice(1).map((s, i) => s.getTime() - (slots[i] as Date).getTime());
}

describe('a fixed-time cron slot runs exactly once on both changeover days', () => {
  const expected: Record<string, string> = {
    'Europe/Berlin spring': '2026-03-29T03:00:00+02:00', // 02:30 does not exist: the first valid instant after the gap
    'Europe/Berlin autumn': '2026-10-25T02:30:00+02:00', // 02:30 happens twice: the first occurrence only
    'America/New_York spring': '2026-03-08T03:00:00-04:00',
    'America/New_York autumn': '2026-11-01T02:30:00-05:00', // 02:30 is not repeated in New York (01:xx is)
  };
  for (const d of DAYS) {
    it(`30 2 * * * in ${d.zone}, ${d.change}`, () => {
      const { local } = day({ cron: '30 2 * * *', tz: d.zone }, d.from, d.to);
      expect(local).toEqual([expected[`${d.zone} ${d.change}`]]);
    });
  }

  it('30 1 * * * in New York, autumn: once in the repeated hour, at its first occurrence', () => {
    const d = DAYS[3];
    expect(day({ cron: '30 1 * * *', tz: d.zone }, d.from, d.to).local).toEqual(['2026-11-01T01:30:00-04:00']);
  });

  it('and once a day around the changeovers: three days give three slots, a day apart in local time', () => {
    const { local } = day({ cron: '30 2 * * *', tz: 'Europe/Berlin' }, '2026-03-27T23:00:00Z', '2026-03-30T22:00:00Z');
    expect(local).toEqual(['2026-03-28T02:30:00+01:00', '2026-03-29T03:00:00+02:00', '2026-03-30T02:30:00+02:00']);
  });

  it('a list of fixed hours is fixed-time too: 30 1,2 * * * runs twice on each changeover day', () => {
    const berlinSpring = day({ cron: '30 1,2 * * *', tz: 'Europe/Berlin' }, DAYS[0].from, DAYS[0].to).local;
    expect(berlinSpring).toEqual(['2026-03-29T01:30:00+01:00', '2026-03-29T03:00:00+02:00']);
    const berlinAutumn = day({ cron: '30 1,2 * * *', tz: 'Europe/Berlin' }, DAYS[1].from, DAYS[1].to).local;
    expect(berlinAutumn).toEqual(['2026-10-25T01:30:00+02:00', '2026-10-25T02:30:00+02:00']);
  });
});

describe('interval-like cron expressions and every keep stepping through real time', () => {
  for (const d of DAYS) {
    it(`0 * * * * in ${d.zone}, ${d.change}: one slot per elapsed hour (${d.hours}), an hour apart`, () => {
      const { slots, local } = day({ cron: '0 * * * *', tz: d.zone }, d.from, d.to);
      expect(slots).toHaveLength(d.hours);
      expect(new Set(gaps(slots))).toEqual(new Set([HOUR]));
      const localHours = local.map((s) => s.slice(11, 13));
      if (d.change === 'spring') {
        // The skipped hour has no slot.
        expect(localHours).not.toContain('02');
      } else {
        // The repeated hour has a slot in each of its two occurrences, with different offsets.
        const repeated = d.zone === 'Europe/Berlin' ? '02' : '01';
        expect(local.filter((s) => s.slice(11, 13) === repeated)).toHaveLength(2);
      }
    });

    it(`*/15 * * * * in ${d.zone}, ${d.change}: ${d.hours * 4} slots, 15 minutes apart`, () => {
      const { slots, local } = day({ cron: '*/15 * * * *', tz: d.zone }, d.from, d.to);
      expect(slots).toHaveLength(d.hours * 4);
      expect(new Set(gaps(slots))).toEqual(new Set([15 * 60_000]));
      expect(new Set(local).size).toBe(local.length); // distinct even in the repeated hour: the offsets differ
    });

    it(`every 1h in ${d.zone}, ${d.change}: ${d.hours} slots, an hour of elapsed time apart`, () => {
      const { slots } = day({ every: '1h', tz: d.zone }, d.from, d.to);
      expect(slots).toHaveLength(d.hours);
      expect(new Set(gaps(slots))).toEqual(new Set([HOUR]));
      expect(slots.every((s) => s.getTime() % HOUR === 0)).toBe(true); // aligned to the default anchor, the epoch
    });
  }

  it('shows the changeover in the offsets: every 1h over the Berlin spring gap', () => {
    const spec = parseScheduleSpec({ every: '1h', tz: 'Europe/Berlin' });
    const local = nextSlots(spec, new Date('2026-03-28T23:30:00Z'), 4).map(zonedIsoFormatter(spec.tz));
    expect(local).toEqual([
      '2026-03-29T01:00:00+01:00',
      '2026-03-29T03:00:00+02:00',
      '2026-03-29T04:00:00+02:00',
      '2026-03-29T05:00:00+02:00',
    ]);
  });

  it('every 1d keeps 24 hours of elapsed time, so its local time moves by the changeover', () => {
    const spec = parseScheduleSpec({ every: '1d', anchor: '2026-03-27T03:00', tz: 'Europe/Berlin' });
    const local = nextSlots(spec, new Date('2026-03-27T00:00:00Z'), 3).map(zonedIsoFormatter(spec.tz));
    expect(local).toEqual(['2026-03-27T03:00:00+01:00', '2026-03-28T03:00:00+01:00', '2026-03-29T04:00:00+02:00']);
  });
});

describe('a wall-clock `at` on a changeover day', () => {
  it('in the gap moves forward by the gap; in the repeated hour it means the first occurrence', () => {
    const show = zonedIsoFormatter('Europe/Berlin');
    const gap = compileSchedule(parseScheduleSpec({ at: '2026-03-29T02:30', tz: 'Europe/Berlin' }));
    expect(show(gap.once as Date)).toBe('2026-03-29T03:30:00+02:00');
    const repeated = compileSchedule(parseScheduleSpec({ at: '2026-10-25T02:30', tz: 'Europe/Berlin' }));
    expect(show(repeated.once as Date)).toBe('2026-10-25T02:30:00+02:00');
  });
});

describe('catch-up across a changeover counts each slot once', () => {
  it('a fixed-time slot over the Berlin autumn changeover: four days down, four runs with catch_up all', () => {
    const spec = parseScheduleSpec({
      cron: '30 2 * * *',
      tz: 'Europe/Berlin',
      catch_up: 'all',
      concurrency_policy: 'Allow',
    });
    const d = decide({
      scheduleId: 'tpl_dst',
      schedule: spec,
      state: { cursor: new Date('2026-10-23T00:30:00Z'), since: new Date('2026-01-01T00:00:00Z') },
      now: new Date('2026-10-27T12:00:00Z'),
      activeRun: false,
    });
    expect(d.fire.map((r) => r.slot).map(zonedIsoFormatter('Europe/Berlin'))).toEqual([
      '2026-10-24T02:30:00+02:00',
      '2026-10-25T02:30:00+02:00',
      '2026-10-26T02:30:00+01:00',
      '2026-10-27T02:30:00+01:00',
    ]);
    expect(d.missed).toBeNull();
  });

  it('an hourly slot over the New York autumn changeover: 25 pending in the 25-hour day, one run, 24 listed as missed', () => {
    const d = decide({
      scheduleId: 'tpl_dst',
      schedule: parseScheduleSpec({ cron: '0 * * * *', tz: 'America/New_York' }),
      state: { cursor: new Date('2026-11-01T03:00:00Z'), since: new Date('2026-01-01T00:00:00Z') },
      now: new Date('2026-11-02T04:10:00Z'),
      activeRun: false,
    });
    expect(d.fire.map((r) => r.slot.toISOString())).toEqual(['2026-11-02T04:00:00.000Z']);
    expect(d.missed).toMatchObject({ count: 24, exact: true });
    const local = d.missed?.slots.map((s) => zonedIsoFormatter('America/New_York')(s.slot)) ?? [];
    expect(local.filter((s) => s.startsWith('2026-11-01T01:00'))).toEqual([
      '2026-11-01T01:00:00-04:00',
      '2026-11-01T01:00:00-05:00',
    ]);
  });
});
