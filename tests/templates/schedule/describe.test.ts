import { describe, expect, it } from 'vitest';
import {
  cronInWords,
  describeSchedule,
  nextRunTimes,
  parseScheduleSpec,
  scheduleView,
  zonedIsoFormatter,
} from '../../../src/templates/schedule/index.js';

const t = (s: string) => new Date(s);

describe('next_runs: the next 5 slot times in the schedule zone, ISO 8601 with offset', () => {
  it('crosses the Berlin spring changeover with the right offsets, the 02:30 slot moved to 03:00', () => {
    const spec = parseScheduleSpec({ cron: '30 2 * * *', tz: 'Europe/Berlin' });
    expect(nextRunTimes(spec, t('2026-03-27T12:00:00Z'))).toEqual([
      '2026-03-28T02:30:00+01:00',
      '2026-03-29T03:00:00+02:00',
      '2026-03-30T02:30:00+02:00',
      '2026-03-31T02:30:00+02:00',
      '2026-04-01T02:30:00+02:00',
    ]);
  });

  it('shows both occurrences of the repeated New York hour for an hourly schedule', () => {
    const spec = parseScheduleSpec({ cron: '0 * * * *', tz: 'America/New_York' });
    expect(nextRunTimes(spec, t('2026-11-01T04:30:00Z'), 4)).toEqual([
      '2026-11-01T01:00:00-04:00',
      '2026-11-01T01:00:00-05:00',
      '2026-11-01T02:00:00-05:00',
      '2026-11-01T03:00:00-05:00',
    ]);
  });

  it('UTC shows +00:00; an `at` shows its one time, then nothing', () => {
    expect(nextRunTimes(parseScheduleSpec({ every: '2h' }), t('2026-05-01T00:30:00Z'), 2)).toEqual([
      '2026-05-01T02:00:00+00:00',
      '2026-05-01T04:00:00+00:00',
    ]);
    const once = parseScheduleSpec({ at: '2026-05-01T03:00', tz: 'America/New_York' });
    expect(nextRunTimes(once, t('2026-04-01T00:00:00Z'))).toEqual(['2026-05-01T03:00:00-04:00']);
    expect(nextRunTimes(once, t('2026-06-01T00:00:00Z'))).toEqual([]);
  });

  it('formats offsets with minutes and west of UTC', () => {
    expect(zonedIsoFormatter('Asia/Kolkata')(t('2026-05-01T00:00:00Z'))).toBe('2026-05-01T05:30:00+05:30');
    expect(zonedIsoFormatter('America/St_Johns')(t('2026-01-01T12:00:00Z'))).toBe('2026-01-01T08:30:00-03:30');
  });
});

describe('the schedule in words', () => {
  it('puts cron expressions in words with their zone', () => {
    expect(describeSchedule(parseScheduleSpec({ cron: '30 2 * * *', tz: 'Europe/Berlin' }))).toBe(
      'At 02:30 (Europe/Berlin)',
    );
    expect(describeSchedule(parseScheduleSpec({ cron: '*/15 * * * *' }))).toBe('Every 15 minutes (UTC)');
    expect(describeSchedule(parseScheduleSpec({ cron: '0 3 * * SUN' }))).toBe('At 03:00, only on Sunday (UTC)');
    expect(describeSchedule(parseScheduleSpec({ cron: '@daily' }))).toBe('At 00:00 (UTC)');
    expect(cronInWords('0 9-17 * * 1-5')).toBe('Every hour, between 09:00 and 17:00, Monday through Friday');
  });

  it('describes intervals, warning when whole days drift against a DST wall clock', () => {
    expect(describeSchedule(parseScheduleSpec({ every: '1h30m' }))).toBe('Every 1 hour 30 minutes');
    expect(describeSchedule(parseScheduleSpec({ every: '1d', tz: 'Europe/Berlin', anchor: '2026-01-01T03:00' }))).toBe(
      'Every 1 day, aligned to 2026-01-01T03:00:00+01:00 (elapsed time: the local time moves with DST; use cron for a fixed local time)',
    );
  });

  it('describes a one-shot in its zone', () => {
    expect(describeSchedule(parseScheduleSpec({ at: '2026-05-01T03:00', tz: 'Europe/Berlin' }))).toBe(
      'Once, at 2026-05-01T03:00:00+02:00',
    );
  });

  it('gives the view every answer shows, suspension included', () => {
    const view = scheduleView(
      parseScheduleSpec({ cron: '0 3 * * *', tz: 'Europe/Berlin', suspend: true }),
      t('2026-05-01T00:00:00Z'),
      2,
    );
    expect(view).toEqual({
      description: 'At 03:00 (Europe/Berlin)',
      tz: 'Europe/Berlin',
      next_runs: ['2026-05-01T03:00:00+02:00', '2026-05-02T03:00:00+02:00'],
      suspended: true,
    });
  });
});
