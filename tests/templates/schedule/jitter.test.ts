import { describe, expect, it } from 'vitest';
import { jitteredStart, jitterMs, parseScheduleRunKey, scheduleRunKey } from '../../../src/templates/schedule/index.js';

const MIN = 60_000;
const T0 = Date.parse('2026-05-01T00:00:00Z');
const slots = Array.from({ length: 2000 }, (_, i) => new Date(T0 + i * MIN));

describe('jitter', () => {
  it('is 0 without jitter_s', () => {
    expect(jitterMs('tpl_a', new Date(T0), 0)).toBe(0);
    expect(jitteredStart('tpl_a', new Date(T0), 0)).toEqual(new Date(T0));
  });

  it('stays within [0, jitter_s] seconds for every slot', () => {
    for (const jitterS of [1, 30, 600, 86_400]) {
      for (const slot of slots.slice(0, 500)) {
        const ms = jitterMs('tpl_a', slot, jitterS);
        expect(Number.isInteger(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(ms).toBeLessThanOrEqual(jitterS * 1000);
      }
    }
  });

  it('is deterministic per (schedule, slot): the same on every call and every instance', () => {
    const a = slots.map((s) => jitterMs('tpl_a', s, 600));
    expect(slots.map((s) => jitterMs('tpl_a', new Date(s.getTime()), 600))).toEqual(a);
    // ...and differs between schedules, so fifty schedules at 03:00 spread out.
    const b = slots.map((s) => jitterMs('tpl_b', s, 600));
    expect(a.filter((v, i) => v === b[i]).length).toBeLessThan(5);
  });

  it('spreads evenly: over 2,000 slots each tenth of the range gets its share, and the ends are reached', () => {
    const range = 600_000;
    const values = slots.map((s) => jitterMs('tpl_a', s, 600));
    const buckets = new Array<number>(10).fill(0);
    for (const v of values) buckets[Math.min(9, Math.floor((v / (range + 1)) * 10))]! += 1;
    // 200 expected per bucket; a uniform draw stays within ±30% with overwhelming probability.
    for (const count of buckets) {
      expect(count).toBeGreaterThan(140);
      expect(count).toBeLessThan(260);
    }
    expect(Math.min(...values)).toBeLessThan(range * 0.01);
    expect(Math.max(...values)).toBeGreaterThan(range * 0.99);
    const mean = values.reduce((x, y) => x + y, 0) / values.length;
    expect(Math.abs(mean - range / 2)).toBeLessThan(range * 0.05);
  });

  it('fifty schedules at the same slot start at fifty different times', () => {
    const slot = new Date('2026-05-03T03:00:00Z');
    const starts = new Set(Array.from({ length: 50 }, (_, i) => jitteredStart(`tpl_${i}`, slot, 300).getTime()));
    expect(starts.size).toBe(50);
  });
});

describe('the run key', () => {
  it('is the schedule id and the nominal slot time, and parses back', () => {
    const slot = new Date('2026-03-29T01:00:00Z');
    const key = scheduleRunKey('tpl_01J0ABC', slot);
    expect(key).toBe('tpl_01J0ABC@2026-03-29T01:00:00.000Z');
    expect(parseScheduleRunKey(key)).toEqual({ scheduleId: 'tpl_01J0ABC', slot });
    expect(parseScheduleRunKey('manual-run-7')).toBeNull();
    expect(parseScheduleRunKey('tpl@not-a-date')).toBeNull();
  });

  it('refuses ids that would make keys ambiguous', () => {
    expect(() => scheduleRunKey('a@b', new Date(T0))).toThrow(/no "@"/);
    expect(() => scheduleRunKey('', new Date(T0))).toThrow(/non-empty/);
  });
});
