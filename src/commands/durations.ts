import { UsageError } from './io.js';

/**
 * A span a person types: "30m", "2h", "1h30m", "90s", "3d", or a bare number of `bare` units. Answers milliseconds;
 * anything else is a usage error naming the option.
 */
export function parseSpan(raw: string, option: string, usage: string, bare: 'm' | 's' = 'm'): number {
  const text = raw.trim();
  const unitMs = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;
  if (/^\d+$/.test(text)) return Number(text) * unitMs[bare];
  const parts = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!parts || text === '')
    throw new UsageError(`--${option} must be a span like 30m, 2h, 1h30m or 3d; got "${raw}".`, usage);
  const [, d, h, m, s] = parts;
  return Number(d ?? 0) * unitMs.d + Number(h ?? 0) * unitMs.h + Number(m ?? 0) * unitMs.m + Number(s ?? 0) * unitMs.s;
}

/** --since: an ISO date or time ("2026-05-01", "2026-05-01T10:00Z"), or a span back from now ("2h", "3d"). */
export function parseSince(raw: string, usage: string, now = Date.now()): Date {
  if (/^\d{4}-\d{2}-\d{2}/.test(raw.trim())) {
    const t = Date.parse(raw.trim());
    if (Number.isNaN(t)) throw new UsageError(`--since "${raw}" is not a date.`, usage);
    return new Date(t);
  }
  return new Date(now - parseSpan(raw, 'since', usage));
}
