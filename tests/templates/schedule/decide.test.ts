import { describe, expect, it } from 'vitest';
import { jitterMs, scheduleRunKey } from '../../../src/templates/schedule/index.js';
import { decision, ID, iso, t } from './decision.js';

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

  it('with aheadMs, fires a slot that close ahead: it starts at its slot, is not late, and nothing is missed', () => {
    const before = t('2026-05-01T09:59:57Z');
    const d = decision(hourly, { cursor: t('2026-05-01T09:00:00Z') }, before, { aheadMs: 5000 });
    expect(d.fire.map((r) => [r.slot, r.startAt, r.late])).toEqual([
      [t('2026-05-01T10:00:00Z'), t('2026-05-01T10:00:00Z'), false],
    ]);
    expect(d).toMatchObject({ missed: null, cursor: t('2026-05-01T10:00:00Z'), advanced: true });
    expect(decision(hourly, { cursor: t('2026-05-01T09:00:00Z') }, before, { aheadMs: 2000 }).fire).toEqual([]);
    // A slot ahead is never older than a starting deadline.
    const strict = { ...hourly, starting_deadline_s: 10 };
    expect(decision(strict, { cursor: t('2026-05-01T09:00:00Z') }, before, { aheadMs: 5000 }).fire).toHaveLength(1);
  });

  it('with a run active under Forbid or Replace, decides a slot at its time, not ahead (the run may end first)', () => {
    const before = t('2026-05-01T09:59:57Z');
    for (const policy of ['Forbid', 'Replace'] as const) {
      const d = decision({ ...hourly, concurrency_policy: policy }, { cursor: t('2026-05-01T09:00:00Z') }, before, {
        aheadMs: 5000,
        activeRun: true,
      });
      expect(d).toMatchObject({ fire: [], skipped: [], advanced: false });
    }
    const allow = decision({ ...hourly, concurrency_policy: 'Allow' }, { cursor: t('2026-05-01T09:00:00Z') }, before, {
      aheadMs: 5000,
      activeRun: true,
    });
    expect(allow.fire).toHaveLength(1);
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
