/**
 * Time zones: validating an IANA name and showing an instant as ISO 8601 with the zone's offset at that instant.
 * Everything goes through the runtime's ICU data (`Intl`), the same data the cron library uses, so a name accepted
 * here is a name the slot computation understands.
 */

export type ZoneResult = { ok: true; zone: string } | { ok: false; problem: string };

// An IANA name is letters, digits, `_`, `+`, `-` in `/`-separated parts ("Europe/Berlin", "Etc/GMT+5", "UTC").
// Newer ICU versions also accept raw offsets such as "+02:00"; we refuse them so every Node version agrees and
// so a fixed offset is never mistaken for a zone that follows DST.
const IANA_SHAPE = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/**
 * The canonical name of an IANA time zone ("europe/berlin" → "Europe/Berlin", "US/Eastern" → "America/New_York"),
 * or what was wrong with it.
 */
export function canonicalZone(name: string): ZoneResult {
  const hint = 'Use an IANA time zone name such as "Europe/Berlin", "America/New_York" or "UTC" (the default).';
  if (!IANA_SHAPE.test(name)) {
    return { ok: false, problem: `"${name}" is not an IANA time zone name. ${hint}` };
  }
  try {
    return { ok: true, zone: new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone };
  } catch {
    const near = nearZones(name);
    const suggestion = near.length > 0 ? ` Did you mean ${near.map((z) => `"${z}"`).join(' or ')}?` : '';
    return { ok: false, problem: `"${name}" is not a time zone this runtime knows.${suggestion} ${hint}` };
  }
}

/** Known zones whose last part equals the last part of `name`, ignoring case ("berlin" → "Europe/Berlin"). */
function nearZones(name: string): string[] {
  const tail = (name.split('/').pop() ?? name).toLowerCase();
  return Intl.supportedValuesOf('timeZone')
    .filter((z) => (z.split('/').pop() ?? z).toLowerCase() === tail)
    .slice(0, 3);
}

/** True for the zones the cron library can treat as a fixed offset of zero (much faster than a DST-aware zone). */
export function isUtc(zone: string): boolean {
  return zone === 'UTC';
}

/**
 * A formatter from instants to ISO 8601 local time with offset in `zone`, e.g. "2026-03-29T03:00:00+02:00".
 * Build it once per zone and reuse it: creating an `Intl.DateTimeFormat` costs far more than using one.
 */
export function zonedIsoFormatter(zone: string): (instant: Date) => string {
  const dtf = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  return (instant) => {
    const f: Record<string, number> = {};
    for (const p of dtf.formatToParts(instant)) if (p.type !== 'literal') f[p.type] = Number(p.value);
    const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = f;
    const wholeSecond = Math.floor(instant.getTime() / 1000) * 1000;
    const offsetMin = Math.round((Date.UTC(year, month - 1, day, hour, minute, second) - wholeSecond) / 60_000);
    const sign = offsetMin < 0 ? '-' : '+';
    const abs = Math.abs(offsetMin);
    return (
      `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}` +
      `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
    );
  };
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}
