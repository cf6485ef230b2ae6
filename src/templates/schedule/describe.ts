import cronstrue from 'cronstrue';
import { asCompiled, type ScheduleLike } from './compile.js';
import { durationInWords } from './duration.js';
import { nextSlots } from './slots.js';
import { zonedIsoFormatter } from './zone.js';

/**
 * What a schedule shows people: its timing in words and its next slot times in its own zone. Cron expressions are
 * put in words by cronstrue (kept, no dependencies, works offline); intervals and one-shots need no library.
 */

export const DEFAULT_NEXT_RUNS = 5;

/** The timing in words, with the zone, e.g. "At 02:30 (Europe/Berlin)" or "Every 15 minutes". */
export function describeSchedule(schedule: ScheduleLike): string {
  const compiled = asCompiled(schedule);
  const { spec } = compiled;
  const show = zonedIsoFormatter(spec.tz);
  if (compiled.kind === 'cron' && spec.cron !== undefined) {
    return `${cronInWords(spec.cron)} (${spec.tz})`;
  }
  if (compiled.kind === 'every' && compiled.periodMs !== undefined) {
    const seconds = compiled.periodMs / 1000;
    const aligned = spec.anchor === undefined ? '' : `, aligned to ${show(compiled.anchor as Date)}`;
    // A whole number of days in a DST zone drifts by an hour against the wall clock twice a year; say so.
    const drift =
      seconds % 86_400 === 0 && spec.tz !== 'UTC'
        ? ' (elapsed time: the local time moves with DST; use cron for a fixed local time)'
        : '';
    return `Every ${durationInWords(seconds)}${aligned}${drift}`;
  }
  return `Once, at ${show(compiled.once as Date)}`;
}

/** A cron expression in words; the expression itself when cronstrue cannot read one of croner's extensions. */
export function cronInWords(expression: string): string {
  try {
    return cronstrue.toString(expression, { use24HourTimeFormat: true, throwExceptionOnParseError: true });
  } catch {
    return `Cron "${expression}"`;
  }
}

/**
 * The next `n` slot times (default 5) after `now`, as ISO 8601 in the schedule's zone with that instant's offset,
 * e.g. "2026-03-29T03:00:00+02:00". Suspension is not applied here: show it beside them.
 */
export function nextRunTimes(schedule: ScheduleLike, now: Date, n = DEFAULT_NEXT_RUNS): string[] {
  const compiled = asCompiled(schedule);
  const show = zonedIsoFormatter(compiled.spec.tz);
  return nextSlots(compiled, now, n).map(show);
}

/** The part of a schedule every answer shows: words, zone, next runs, and whether it is paused. */
export interface ScheduleView {
  readonly description: string;
  readonly tz: string;
  readonly next_runs: readonly string[];
  readonly suspended: boolean;
}

export function scheduleView(schedule: ScheduleLike, now: Date, n = DEFAULT_NEXT_RUNS): ScheduleView {
  const compiled = asCompiled(schedule);
  return Object.freeze({
    description: describeSchedule(compiled),
    tz: compiled.spec.tz,
    next_runs: Object.freeze(nextRunTimes(compiled, now, n)),
    suspended: compiled.spec.suspend,
  });
}
