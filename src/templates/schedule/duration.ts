/**
 * The `every` grammar: one or more `<whole number><unit>` groups, largest unit first, each unit at most once, no spaces.
 * Units: `w` (7 days), `d` (24 hours), `h`, `m`, `s`. Examples: `90s`, `15m`, `2h`, `1d`, `1h30m`, `1w2d`.
 *
 * A day here is 24 hours of elapsed time, never "the same wall-clock time tomorrow": an interval keeps its period
 * across DST changes. A schedule that must run at a fixed local time is a cron schedule.
 */

export const MIN_EVERY_S = 60;
export const MAX_EVERY_S = 366 * 86_400;

const UNITS = [
  ['w', 604_800],
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
] as const;

const GRAMMAR = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

export type DurationResult = { ok: true; seconds: number } | { ok: false; problem: string };

/** Parses an `every` value into seconds; a failure says what is wrong and how to write it. */
export function parseEvery(text: string): DurationResult {
  const examples =
    'Write a whole number and a unit (s, m, h, d, w), e.g. "90s", "15m", "2h", "1d", or combined "1h30m".';
  const m = GRAMMAR.exec(text);
  if (text === '' || !m) {
    if (/^\d+$/.test(text)) return { ok: false, problem: `"${text}" has no unit. ${examples}` };
    return { ok: false, problem: `"${text}" is not a duration. ${examples}` };
  }
  let seconds = 0;
  UNITS.forEach(([, size], i) => {
    const group = m[i + 1];
    if (group !== undefined) seconds += Number(group) * size;
  });
  if (seconds < MIN_EVERY_S) {
    return {
      ok: false,
      problem:
        `"${text}" is shorter than the minimum of 1 minute (every run is a remote job with its own history record, ` +
        'and the scheduler works to the second, not below). Use "1m" or longer.',
    };
  }
  if (seconds > MAX_EVERY_S) {
    return {
      ok: false,
      problem: `"${text}" is longer than 366 days. Use \`at\` for a one-off time, or cron for a yearly slot.`,
    };
  }
  return { ok: true, seconds };
}

/** Seconds as the shortest `every` text that parses back to them, e.g. 5400 → "1h30m". */
export function formatEvery(seconds: number): string {
  let rest = seconds;
  let out = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out === '' ? '0s' : out;
}

/** Seconds in words for descriptions, e.g. 5400 → "1 hour 30 minutes". */
export function durationInWords(seconds: number): string {
  const names: Record<string, string> = { w: 'week', d: 'day', h: 'hour', m: 'minute', s: 'second' };
  let rest = seconds;
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n} ${names[unit]}${n === 1 ? '' : 's'}`);
    rest -= n * size;
  }
  return parts.length === 0 ? '0 seconds' : parts.join(' ');
}
