import { Cron } from 'croner';

/**
 * Times written by users (`at`, `anchor`): ISO 8601 to the minute or second, with an offset ("Z", "+02:00") or
 * without one, in which case they are a wall-clock time in the schedule's zone.
 *
 * A wall-clock time in a DST gap (02:30 on the spring changeover in Berlin) does not exist: it becomes the instant
 * the same length after the gap opened (03:30 CEST), the `compatible` rule of Temporal and of the cron library.
 * A wall-clock time that occurs twice (02:30 on the autumn changeover) means the first occurrence.
 */

export type InstantResult = { ok: true; instant: Date } | { ok: false; problem: string };

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:\d{2})?$/;

export function parseInstant(text: string, zone: string): InstantResult {
  const example = `Write an ISO 8601 time such as "2026-05-01T03:00" (read in the schedule's tz) or "2026-05-01T03:00:00+02:00".`;
  const m = ISO.exec(text);
  if (!m) {
    const why = /\.\d/.test(text) ? ' (fractions of a second are not used)' : '';
    return { ok: false, problem: `"${text}" is not a time deckhand reads${why}. ${example}` };
  }
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '00'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) {
    return { ok: false, problem: `"${text}" is not a real date and time (check the month, day and hour). ${example}` };
  }
  const offset = m[7];
  if (offset !== undefined) {
    const sign = offset === 'Z' ? 0 : offset.startsWith('-') ? -1 : 1;
    const [oh, om] = offset === 'Z' ? [0, 0] : offset.slice(1).split(':').map(Number);
    const offsetMs = sign * ((oh ?? 0) * 60 + (om ?? 0)) * 60_000;
    return { ok: true, instant: new Date(Date.UTC(year, month - 1, day, hour, minute, second) - offsetMs) };
  }
  // A wall-clock time: the cron library resolves it in the zone (gaps and repeated hours as described above).
  const wall = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}`;
  const once = new Cron(wall, { timezone: zone }).getOnce();
  if (once === null) return { ok: false, problem: `"${text}" could not be placed in the zone ${zone}. ${example}` };
  return { ok: true, instant: once };
}
