import { Cron, type CronOptions } from 'croner';
import { isUtc } from './zone.js';

/**
 * Cron expressions, parsed and stepped by croner (kept, dependency-free, runs on Node 20+). Five fields
 * (minute hour day-of-month month day-of-week) or one of the macros below; croner's extensions (`L`, `W`, `#`, `?`,
 * names such as MON or JAN) are accepted too. Day-of-month and day-of-week combine with OR, as in Vixie cron.
 *
 * DST (croner's `fixedTimeRule: "no-wildcard"`, close to Vixie cron): an expression whose minute and hour fields
 * have no `*` and no step is fixed-time. A fixed-time slot in the spring gap runs once at the first valid instant
 * after the gap (02:30 → 03:00 when the clock jumps from 02:00 to 03:00), and a fixed-time slot in the repeated
 * autumn hour runs once, at its first occurrence. Any other expression (`0 * * * *`, `*\/15 * * * *`) steps through
 * real time: it has no slots in the gap and has slots in both occurrences of the repeated hour, so an hourly job
 * still runs once per elapsed hour.
 */

export const CRON_MACROS = ['@hourly', '@daily', '@midnight', '@weekly', '@monthly', '@yearly', '@annually'] as const;

const FIELDS = 'minute hour day-of-month month day-of-week';

export type CronResult = { ok: true; expression: string } | { ok: false; problem: string };

/** The options every cron computation uses, so parsing, stepping and describing agree. */
export function cronOptions(zone: string): CronOptions {
  return {
    // A fixed offset of zero is exact for UTC and about ten times faster than a DST-aware zone.
    ...(isUtc(zone) ? { utcOffset: 0 } : { timezone: zone }),
    mode: '5-part',
    fixedTimeRule: 'no-wildcard',
    domAndDow: false,
  };
}

/** A croner instance used only for computation: no callback, so it never starts a timer. */
export function buildCron(expression: string, zone: string): Cron {
  return new Cron(expression, cronOptions(zone));
}

/**
 * Validates a cron expression and returns it normalized (single spaces, macros in lower case), or says what is
 * wrong and how to write it. `probeFrom` is where to look for a first slot, to refuse expressions that never fire.
 * Whether some date matches does not depend on the zone, so the check runs in UTC, the fast path.
 */
export function normalizeCron(text: string, probeFrom: Date): CronResult {
  const expression = text.trim().replace(/\s+/g, ' ');
  const example = `e.g. "30 2 * * *" (02:30 every day) or "@hourly"`;
  if (expression.startsWith('@')) {
    const macro = expression.toLowerCase();
    if (!(CRON_MACROS as readonly string[]).includes(macro)) {
      return {
        ok: false,
        problem: `"${text}" is not a macro deckhand knows. Use one of ${CRON_MACROS.join(', ')}, or five fields (${FIELDS}).`,
      };
    }
    return { ok: true, expression: macro };
  }
  const fields = expression === '' ? 0 : expression.split(' ').length;
  if (fields !== 5) {
    const seconds = fields === 6 ? ' Seconds are not supported: the shortest schedule is every minute.' : '';
    return {
      ok: false,
      problem: `"${text}" has ${fields} field${fields === 1 ? '' : 's'}; a cron expression has 5 (${FIELDS}), ${example}.${seconds}`,
    };
  }
  let cron: Cron;
  try {
    cron = buildCron(expression, 'UTC');
  } catch (err) {
    const detail = (err instanceof Error ? err.message : String(err)).replace(/^CronPattern:\s*/, '');
    return {
      ok: false,
      problem: `"${text}" is not a valid cron expression: ${detail}. Fields are ${FIELDS}, ${example}.`,
    };
  }
  if (cron.nextRun(probeFrom) === null) {
    return {
      ok: false,
      problem: `"${text}" never fires (no date matches it, e.g. 30 February). Check the day-of-month and month fields.`,
    };
  }
  return { ok: true, expression };
}
