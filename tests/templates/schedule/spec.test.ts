import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors.js';
import { formatEvery, parseEvery } from '../../../src/templates/schedule/duration.js';
import { nextSlots, parseScheduleSpec, scheduleSpecSchema } from '../../../src/templates/schedule/index.js';

/** The message of the ValidationError that parsing `input` throws (fails the test if it does not throw one). */
function problem(input: unknown, now?: Date): string {
  try {
    parseScheduleSpec(input, now ? { now } : {});
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).userMessage;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be refused`);
}

describe('parseScheduleSpec: defaults and normalization', () => {
  it('fills the defaults: UTC, Forbid, catch_up latest, no jitter, not suspended, no deadline', () => {
    const spec = parseScheduleSpec({ cron: '30 2 * * *' });
    expect(spec).toEqual({
      cron: '30 2 * * *',
      tz: 'UTC',
      concurrency_policy: 'Forbid',
      catch_up: 'latest',
      jitter_s: 0,
      suspend: false,
    });
    expect(Object.isFrozen(spec)).toBe(true);
  });

  it('normalizes whitespace and macro case, canonicalizes the zone, and reads policies case-insensitively', () => {
    const spec = parseScheduleSpec({
      cron: ' @DAILY ',
      tz: 'europe/berlin',
      concurrency_policy: 'allow',
      catch_up: 'ALL',
    });
    expect(spec.cron).toBe('@daily');
    expect(spec.tz).toBe('Europe/Berlin');
    expect(spec.concurrency_policy).toBe('Allow');
    expect(spec.catch_up).toBe('all');
    expect(spec.catch_up_limit).toBe(10);
    expect(parseScheduleSpec({ cron: '0   9-17 *  * MON-FRI' }).cron).toBe('0 9-17 * * MON-FRI');
    // Aliases are accepted; whether they come back canonical ("America/New_York") depends on the runtime's ICU and
    // the ECMA-402 edition it follows, so only acceptance and the zone's meaning are asserted.
    const eastern = parseScheduleSpec({ cron: '0 9 * * *', tz: 'US/Eastern' });
    expect(['US/Eastern', 'America/New_York']).toContain(eastern.tz);
    expect(nextSlots(eastern, new Date('2026-01-15T00:00:00Z'), 1)).toEqual([new Date('2026-01-15T14:00:00Z')]);
  });

  it('accepts every macro and every kind of timing', () => {
    for (const macro of ['@hourly', '@daily', '@weekly', '@monthly', '@yearly', '@annually', '@midnight']) {
      expect(parseScheduleSpec({ cron: macro }).cron).toBe(macro);
    }
    expect(parseScheduleSpec({ every: '1h30m', anchor: '2026-01-01T03:00', tz: 'Europe/Berlin' }).every).toBe('1h30m');
    expect(parseScheduleSpec({ at: '2026-05-01T03:00:00+02:00' }).at).toBe('2026-05-01T03:00:00+02:00');
  });

  it('is usable as a zod schema directly, with the same rules', () => {
    expect(scheduleSpecSchema.safeParse({ every: '15m' }).success).toBe(true);
    const bad = scheduleSpecSchema.safeParse({ every: '15' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['every']);
  });
});

describe('parseScheduleSpec: every error says what is wrong and what to do', () => {
  it('needs exactly one of cron, every or at', () => {
    expect(problem({})).toMatch(/exactly one of cron, every or at, e\.g\. \{"cron": "30 2 \* \* \*"\}/);
    expect(problem({ cron: '* * * * *', every: '5m' })).toMatch(/cron and every were both given.*Keep one/);
  });

  it('names unknown fields and lists the known ones', () => {
    expect(problem({ cron: '* * * * *', crontab: 'x' })).toMatch(
      /schedule: unknown field "crontab" \(known: cron, every, at,/,
    );
  });

  it('refuses a cron expression with the wrong number of fields, naming the fields', () => {
    expect(problem({ cron: '* * * *' })).toMatch(
      /has 4 fields; a cron expression has 5 \(minute hour day-of-month month day-of-week\)/,
    );
    expect(problem({ cron: '0 0 * * * *' })).toMatch(/has 6 fields.*Seconds are not supported/);
  });

  it('refuses out-of-range values, unknown macros, and expressions that never fire', () => {
    expect(problem({ cron: '61 * * * *' })).toMatch(
      /schedule\.cron: "61 \* \* \* \*" is not a valid cron expression: Invalid value for minute: 61/,
    );
    expect(problem({ cron: '@reboot' })).toMatch(/not a macro deckhand knows\. Use one of @hourly/);
    expect(problem({ cron: '0 0 30 2 *' })).toMatch(/never fires.*30 February/);
  });

  it('explains the every grammar and its minimum', () => {
    expect(problem({ every: '15' })).toMatch(/"15" has no unit\. Write a whole number and a unit \(s, m, h, d, w\)/);
    expect(problem({ every: '15 minutes' })).toMatch(/is not a duration/);
    expect(problem({ every: '30s' })).toMatch(/shorter than the minimum of 1 minute.*Use "1m" or longer/);
    expect(problem({ every: '400d' })).toMatch(/longer than 366 days/);
  });

  it('refuses unknown zones and raw offsets, suggesting the zone meant', () => {
    expect(problem({ cron: '* * * * *', tz: 'Berlin' })).toMatch(
      /Did you mean "Europe\/Berlin"\?.*IANA time zone name/,
    );
    expect(problem({ cron: '* * * * *', tz: '+02:00' })).toMatch(/"\+02:00" is not an IANA time zone name/);
    expect(problem({ cron: '* * * * *', tz: 'Mars/Olympus' })).toMatch(/not a time zone this runtime knows/);
  });

  it('refuses times that are not real or not ISO 8601', () => {
    expect(problem({ at: '2026-02-30T03:00' })).toMatch(/not a real date and time/);
    expect(problem({ at: 'tomorrow at 3' })).toMatch(/Write an ISO 8601 time such as "2026-05-01T03:00"/);
    expect(problem({ at: '2026-05-01T03:00:00.5Z' })).toMatch(/fractions of a second are not used/);
  });

  it('refuses an at in the past when told the time', () => {
    const now = new Date('2026-05-01T12:00:00Z');
    expect(problem({ at: '2026-05-01T03:00', tz: 'Europe/Berlin' }, now)).toMatch(
      /schedule\.at: 2026-05-01T03:00:00\+02:00 is not in the future \(now is 2026-05-01T14:00:00\+02:00\)/,
    );
    expect(parseScheduleSpec({ at: '2026-05-02T03:00' }, { now }).at).toBe('2026-05-02T03:00');
  });

  it('refuses anchor without every, and catch_up_limit without catch_up all', () => {
    expect(problem({ cron: '* * * * *', anchor: '2026-01-01T00:00' })).toMatch(
      /schedule\.anchor: only applies to an every schedule/,
    );
    expect(problem({ cron: '* * * * *', catch_up_limit: 5 })).toMatch(
      /only applies with catch_up "all".*remove it or set catch_up to "all"/,
    );
  });

  it('refuses catch_up all unless runs may overlap', () => {
    expect(problem({ cron: '* * * * *', catch_up: 'all' })).toMatch(
      /needs concurrency_policy "Allow" \(it is "Forbid"\).*use catch_up "latest"/,
    );
  });

  it('refuses jitter that could outlast the deadline or the interval', () => {
    expect(problem({ cron: '* * * * *', jitter_s: 60, starting_deadline_s: 30 })).toMatch(
      /not shorter than starting_deadline_s \(30 s\)/,
    );
    expect(problem({ every: '5m', jitter_s: 300 })).toMatch(/not shorter than the interval \(5m\)/);
  });

  it('checks field types and ranges with the reason and the range', () => {
    expect(problem({ cron: '* * * * *', starting_deadline_s: 5 })).toMatch(/starting_deadline_s: must be at least 10/);
    expect(problem({ cron: '* * * * *', jitter_s: 1.5 })).toMatch(
      /jitter_s: must be a whole number of seconds from 0 to 86400/,
    );
    expect(problem({ cron: '* * * * *', concurrency_policy: 'Queue' })).toMatch(
      /concurrency_policy: must be one of Allow, Forbid, Replace/,
    );
    expect(problem({ cron: '* * * * *', catch_up: 'some' })).toMatch(/catch_up: must be one of latest, none, all/);
    expect(problem({ cron: '* * * * *', suspend: 'yes' })).toMatch(/suspend: must be true or false/);
    expect(problem({ cron: '* * * * *', catch_up: 'all', concurrency_policy: 'Allow', catch_up_limit: 500 })).toMatch(
      /catch_up_limit: must be at most 100; more missed slots are reported as a count/,
    );
    expect(problem('30 2 * * *')).toMatch(/schedule: must be an object/);
  });

  it('reports every problem at once', () => {
    const message = problem({ every: '10', tz: 'Nowhere/Land', jitter_s: -1 });
    expect(message).toMatch(/schedule\.jitter_s/);
    // Field-level errors stop before cross-field checks (zod runs the transform only on valid fields).
    expect(message).not.toMatch(/schedule\.every/);
    const crossField = problem({ every: '10', tz: 'Nowhere/Land' });
    expect(crossField).toMatch(/schedule\.tz: .*; schedule\.every: /);
  });
});

describe('the every grammar', () => {
  it('reads combined units largest first, and formats back', () => {
    expect(parseEvery('90s')).toEqual({ ok: true, seconds: 90 });
    expect(parseEvery('1h30m')).toEqual({ ok: true, seconds: 5400 });
    expect(parseEvery('1w2d')).toEqual({ ok: true, seconds: 9 * 86_400 });
    expect(parseEvery('30m1h').ok).toBe(false);
    expect(parseEvery('1.5h').ok).toBe(false);
    expect(parseEvery('').ok).toBe(false);
    expect(formatEvery(5400)).toBe('1h30m');
    expect(formatEvery(90)).toBe('1m30s');
    expect(formatEvery(86_400 * 8)).toBe('1w1d');
  });
});
