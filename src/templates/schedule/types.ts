/** The schedule's types and limits, shared by the schema (spec.ts) and its cross-field checks (spec-checks.ts). */

export const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'] as const;
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number];

export const CATCH_UP_POLICIES = ['latest', 'none', 'all'] as const;
export type CatchUpPolicy = (typeof CATCH_UP_POLICIES)[number];

export const DEFAULT_CATCH_UP_LIMIT = 10;
export const MAX_CATCH_UP_LIMIT = 100;
export const MIN_STARTING_DEADLINE_S = 10;
export const MAX_STARTING_DEADLINE_S = 366 * 86_400;
export const MAX_JITTER_S = 86_400;

/** A validated, normalized schedule (frozen). Fields left out by the user carry their defaults. */
export interface ScheduleSpec {
  /** Normalized cron expression (single spaces, macros in lower case). */
  readonly cron?: string;
  /** Interval in the `every` grammar (duration.ts), e.g. "15m". */
  readonly every?: string;
  /** The one slot of a one-shot schedule, as written (ISO 8601; without an offset it is read in `tz`). */
  readonly at?: string;
  /** `every` only: an instant the interval's slots are aligned to (its phase, not a start time). Default: the Unix epoch. */
  readonly anchor?: string;
  /** Canonical IANA zone name; default "UTC". */
  readonly tz: string;
  readonly concurrency_policy: ConcurrencyPolicy;
  /** A slot not started within this many seconds of its nominal time is recorded as missed. Absent: no deadline. */
  readonly starting_deadline_s?: number;
  readonly catch_up: CatchUpPolicy;
  /** Present exactly when `catch_up` is "all": the most runs one catch-up starts. */
  readonly catch_up_limit?: number;
  readonly jitter_s: number;
  readonly suspend: boolean;
}
