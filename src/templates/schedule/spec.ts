import { z } from 'zod';
import { ValidationError } from '../../errors.js';
import { checkSpec, checkSpecAt } from './spec-checks.js';
import {
  CATCH_UP_POLICIES,
  CONCURRENCY_POLICIES,
  DEFAULT_CATCH_UP_LIMIT,
  MAX_CATCH_UP_LIMIT,
  MAX_JITTER_S,
  MAX_STARTING_DEADLINE_S,
  MIN_STARTING_DEADLINE_S,
  type ScheduleSpec,
} from './types.js';

/**
 * A schedule as users write it (snake_case, as in the MCP tools). Exactly one of `cron`, `every` or `at` says when
 * slots fall; the other fields say what happens when a slot comes due. Semantics follow Kubernetes CronJob and
 * systemd timers; the decision itself is in decide.ts.
 */

/** Accepts "forbid" or "FORBID" for "Forbid": models and people rarely remember the case, and there is no ambiguity. */
function caseInsensitive(values: readonly string[]) {
  return (v: unknown) => (typeof v === 'string' ? (values.find((c) => c.toLowerCase() === v.toLowerCase()) ?? v) : v);
}

function enumMessage(values: readonly string[]) {
  return { errorMap: () => ({ message: `must be one of ${values.join(', ')}` }) };
}

function wholeSeconds(what: string, min: number, max: number) {
  const range = `a whole number of seconds from ${min} to ${max}`;
  return z
    .number({ invalid_type_error: `must be ${range} (${what})` })
    .int({ message: `must be ${range} (${what})` })
    .min(min, { message: `must be at least ${min} (${what})` })
    .max(max, { message: `must be at most ${max} (${what})` });
}

/**
 * The schedule's fields and their descriptions, without cross-field rules: use it where a plain object schema is
 * needed (an MCP tool's input schema, `.partial()` for a partial update), then validate with `scheduleSpecSchema`.
 */
export const scheduleSpecObject = z
  .object({
    cron: z
      .string({ invalid_type_error: 'must be a string such as "30 2 * * *"' })
      .optional()
      .describe(
        'Cron expression, 5 fields (minute hour day-of-month month day-of-week) or @hourly, @daily, @weekly, @monthly, @yearly.',
      ),
    every: z
      .string({ invalid_type_error: 'must be a string such as "15m"' })
      .optional()
      .describe(
        'Interval from one slot to the next, e.g. "15m", "2h", "1d", "1h30m" (minimum 1m). Keeps its period across DST.',
      ),
    at: z
      .string({ invalid_type_error: 'must be an ISO 8601 time string' })
      .optional()
      .describe('One time, ISO 8601, e.g. "2026-05-01T03:00" (in tz) or "2026-05-01T03:00:00+02:00". Fires once.'),
    anchor: z
      .string({ invalid_type_error: 'must be an ISO 8601 time string' })
      .optional()
      .describe('With every: a time the slots are aligned to, e.g. "2026-01-01T03:00". Default: the Unix epoch.'),
    tz: z
      .string({ invalid_type_error: 'must be an IANA time zone name such as "Europe/Berlin"' })
      .optional()
      .describe('IANA time zone for cron fields, wall-clock times and next_runs. Default "UTC".'),
    concurrency_policy: z
      .preprocess(
        caseInsensitive(CONCURRENCY_POLICIES),
        z.enum(CONCURRENCY_POLICIES, enumMessage(CONCURRENCY_POLICIES)),
      )
      .optional()
      .describe(
        'When a slot comes due while a run is active: Forbid (default, skip the slot), Allow, or Replace (cancel it).',
      ),
    starting_deadline_s: wholeSeconds(
      'how late a slot may still start',
      MIN_STARTING_DEADLINE_S,
      MAX_STARTING_DEADLINE_S,
    )
      .optional()
      .describe('A slot not started within this many seconds is skipped and recorded as missed. Default: no deadline.'),
    catch_up: z
      .preprocess(caseInsensitive(CATCH_UP_POLICIES), z.enum(CATCH_UP_POLICIES, enumMessage(CATCH_UP_POLICIES)))
      .optional()
      .describe(
        'Missed slots after downtime or a pause: latest (default, one run), none, or all (up to catch_up_limit).',
      ),
    catch_up_limit: z
      .number({ invalid_type_error: `must be a whole number from 1 to ${MAX_CATCH_UP_LIMIT}` })
      .int({ message: `must be a whole number from 1 to ${MAX_CATCH_UP_LIMIT}` })
      .min(1, { message: 'must be at least 1' })
      .max(MAX_CATCH_UP_LIMIT, {
        message: `must be at most ${MAX_CATCH_UP_LIMIT}; more missed slots are reported as a count`,
      })
      .optional()
      .describe(`With catch_up "all": the most missed slots one catch-up runs (default ${DEFAULT_CATCH_UP_LIMIT}).`),
    jitter_s: wholeSeconds('the longest random delay added to a slot', 0, MAX_JITTER_S)
      .optional()
      .describe('Delay each slot by a pseudo-random 0..jitter_s seconds, the same on every instance. Default 0.'),
    suspend: z
      .boolean({ invalid_type_error: 'must be true or false' })
      .optional()
      .describe('true pauses the schedule; false resumes it (missed slots then follow catch_up).'),
  })
  .strict();

export type ScheduleSpecInput = z.input<typeof scheduleSpecObject>;

/** The full schema: field checks, then the cross-field rules and normalization of spec-checks.ts. */
export const scheduleSpecSchema = scheduleSpecObject.transform((value, ctx): ScheduleSpec => {
  const checked = checkSpec(value);
  if (checked.ok) return checked.spec;
  for (const issue of checked.issues)
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: issue.path, message: issue.message });
  return z.NEVER;
});

export interface ParseOptions {
  /** When given, an `at` at or before this instant is refused. Pass it when `at` is set or changed, not on every re-read. */
  readonly now?: Date;
}

/**
 * Validates a schedule as received from a user. Throws a ValidationError listing every problem as
 * "schedule.field: what is wrong, what to write instead".
 */
export function parseScheduleSpec(input: unknown, options: ParseOptions = {}): ScheduleSpec {
  const parsed = scheduleSpecSchema.safeParse(input);
  if (!parsed.success) {
    // Each problem is a sentence that may end in a period; they are joined into one sentence here.
    const problems = parsed.error.issues.map((issue) => formatIssue(issue).replace(/\.$/, ''));
    throw new ValidationError(
      `Invalid schedule: ${problems.join('; ')}.`,
      'Fix the fields named; a schedule takes exactly one of cron, every or at, plus optional tz, concurrency_policy, ' +
        'starting_deadline_s, catch_up, catch_up_limit, jitter_s and suspend.',
    );
  }
  const spec = parsed.data;
  if (options.now && spec.at !== undefined) {
    const when = checkSpecAt(spec, options.now);
    if (when !== null)
      throw new ValidationError(`Invalid schedule: schedule.at: ${when}.`, 'Give a time in the future.');
  }
  return spec;
}

function formatIssue(issue: z.ZodIssue): string {
  const field = ['schedule', ...issue.path].join('.');
  if (issue.code === z.ZodIssueCode.unrecognized_keys) {
    return `${field}: unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => `"${k}"`).join(', ')} (known: ${Object.keys(scheduleSpecObject.shape).join(', ')})`;
  }
  if (issue.code === z.ZodIssueCode.invalid_type && issue.path.length === 0) {
    return 'schedule: must be an object such as {"cron": "30 2 * * *", "tz": "Europe/Berlin"}';
  }
  return `${field}: ${issue.message}`;
}
