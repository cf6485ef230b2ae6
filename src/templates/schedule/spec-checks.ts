import { normalizeCron } from './cron.js';
import { formatEvery, parseEvery } from './duration.js';
import { parseInstant } from './instant.js';
import { DEFAULT_CATCH_UP_LIMIT, type CatchUpPolicy, type ConcurrencyPolicy, type ScheduleSpec } from './types.js';
import { canonicalZone, zonedIsoFormatter } from './zone.js';

/**
 * The rules that span fields (exactly one timing, tz-dependent parsing, policies that only make sense together),
 * and the normalization of what passed. Every problem names the field and says what to write instead.
 */

/** The schedule after field-level validation, before these checks. */
export interface RawSpec {
  cron?: string | undefined;
  every?: string | undefined;
  at?: string | undefined;
  anchor?: string | undefined;
  tz?: string | undefined;
  concurrency_policy?: ConcurrencyPolicy | undefined;
  starting_deadline_s?: number | undefined;
  catch_up?: CatchUpPolicy | undefined;
  catch_up_limit?: number | undefined;
  jitter_s?: number | undefined;
  suspend?: boolean | undefined;
}

export interface SpecIssue {
  path: string[];
  message: string;
}

export type CheckResult = { ok: true; spec: ScheduleSpec } | { ok: false; issues: SpecIssue[] };

// Where to look for a first slot when refusing cron expressions that never fire; any fixed instant works, and a
// fixed one keeps validation independent of the clock.
const CRON_PROBE_FROM_MS = Date.UTC(2000, 0, 1);

export function checkSpec(raw: RawSpec): CheckResult {
  const issues: SpecIssue[] = [];
  const fail = (field: string, message: string) => issues.push({ path: [field], message });

  const timings = (['cron', 'every', 'at'] as const).filter((k) => raw[k] !== undefined);
  if (timings.length === 0) {
    fail(
      'cron',
      'a schedule needs exactly one of cron, every or at, e.g. {"cron": "30 2 * * *"}, {"every": "15m"} or {"at": "2026-05-01T03:00"}',
    );
  } else if (timings.length > 1) {
    fail(
      timings[1] as string,
      `${timings.join(' and ')} were both given; a schedule takes exactly one of cron, every or at. Keep one`,
    );
  }

  let tz = 'UTC';
  if (raw.tz !== undefined) {
    const zone = canonicalZone(raw.tz);
    if (zone.ok) tz = zone.zone;
    else fail('tz', zone.problem);
  }

  let cron: string | undefined;
  if (raw.cron !== undefined) {
    const r = normalizeCron(raw.cron, new Date(CRON_PROBE_FROM_MS));
    if (r.ok) cron = r.expression;
    else fail('cron', r.problem);
  }
  let everyS: number | undefined;
  if (raw.every !== undefined) {
    const r = parseEvery(raw.every);
    if (r.ok) everyS = r.seconds;
    else fail('every', r.problem);
  }
  if (raw.at !== undefined) {
    const r = parseInstant(raw.at, tz);
    if (!r.ok) fail('at', r.problem);
  }
  if (raw.anchor !== undefined) {
    if (raw.every === undefined)
      fail('anchor', 'only applies to an every schedule (it sets where its slots fall); remove it');
    const r = parseInstant(raw.anchor, tz);
    if (!r.ok) fail('anchor', r.problem);
  }

  const concurrency = raw.concurrency_policy ?? 'Forbid';
  const catchUp = raw.catch_up ?? 'latest';
  if (raw.catch_up_limit !== undefined && catchUp !== 'all') {
    fail(
      'catch_up_limit',
      `only applies with catch_up "all" (catch_up is "${catchUp}"); remove it or set catch_up to "all"`,
    );
  }
  if (catchUp === 'all' && concurrency !== 'Allow') {
    fail(
      'catch_up',
      `"all" starts every missed slot at once, which needs concurrency_policy "Allow" (it is "${concurrency}"). ` +
        'Set concurrency_policy to "Allow", or use catch_up "latest" for one run',
    );
  }

  const jitter = raw.jitter_s ?? 0;
  const deadline = raw.starting_deadline_s;
  if (deadline !== undefined && jitter >= deadline) {
    fail(
      'jitter_s',
      `${jitter} s is not shorter than starting_deadline_s (${deadline} s), so slots could miss their deadline by jitter alone. Lower jitter_s or raise the deadline`,
    );
  }
  if (everyS !== undefined && jitter >= everyS) {
    fail(
      'jitter_s',
      `${jitter} s is not shorter than the interval (${formatEvery(everyS)}), so runs could start out of order. Lower jitter_s`,
    );
  }

  if (issues.length > 0) return { ok: false, issues };
  const spec: ScheduleSpec = {
    ...(cron !== undefined ? { cron } : {}),
    ...(raw.every !== undefined ? { every: raw.every } : {}),
    ...(raw.at !== undefined ? { at: raw.at } : {}),
    ...(raw.anchor !== undefined ? { anchor: raw.anchor } : {}),
    tz,
    concurrency_policy: concurrency,
    ...(deadline !== undefined ? { starting_deadline_s: deadline } : {}),
    catch_up: catchUp,
    ...(catchUp === 'all' ? { catch_up_limit: raw.catch_up_limit ?? DEFAULT_CATCH_UP_LIMIT } : {}),
    jitter_s: jitter,
    suspend: raw.suspend ?? false,
  };
  return { ok: true, spec: Object.freeze(spec) };
}

/** Why an `at` schedule cannot be saved at `now` (its time has passed), or null when it can. */
export function checkSpecAt(spec: ScheduleSpec, now: Date): string | null {
  if (spec.at === undefined) return null;
  const r = parseInstant(spec.at, spec.tz);
  if (!r.ok) return r.problem;
  if (r.instant.getTime() > now.getTime()) return null;
  const show = zonedIsoFormatter(spec.tz);
  return `${show(r.instant)} is not in the future (now is ${show(now)}); give a later time, or start a run now instead`;
}
