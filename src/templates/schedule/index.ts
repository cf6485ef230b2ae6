/**
 * Schedules of templates (issue 16): the pure, store-independent part. What a schedule is (spec.ts), where its
 * slots fall (slots.ts, with DST handled by croner as described in cron.ts), what to do when slots come due
 * (decide.ts) and when to look again (next-due.ts), jitter (jitter.ts), the run identity that makes a slot fire once (identity.ts), and what to show
 * (describe.ts). No module here reads a clock, touches a store or starts a timer: callers pass `now` in.
 *
 * The scheduler loop built on it, in outline:
 *   compiled = compileSchedule(spec)                      once per schedule, again when its spec changes
 *   each tick, for schedules whose nextDueAt <= now:
 *     d = decide({scheduleId, schedule: compiled, state: {cursor, since}, now, activeRun})
 *     in one transaction: insert d.fire as runs under their unique key (not_before = startAt; on a Replace,
 *     cancel the active run first), record d.skipped and d.missed, store cursor = max(cursor, d.cursor)
 *     remember d.nextDueAt (null: suspended or finished; recompute on resume or edit)
 */
export { compileSchedule, type CompiledSchedule, type ScheduleLike } from './compile.js';
export { CRON_MACROS } from './cron.js';
export {
  DEFAULT_GRACE_MS,
  decide,
  type DecideInput,
  type ScheduleDecision,
  type ScheduleState,
  type SkippedSlot,
  type SlotRun,
} from './decide.js';
export { cronInWords, describeSchedule, nextRunTimes, scheduleView, type ScheduleView } from './describe.js';
export { formatEvery, MIN_EVERY_S, parseEvery } from './duration.js';
export { parseScheduleRunKey, scheduleRunKey } from './identity.js';
export { jitteredStart, jitterMs } from './jitter.js';
export { nextDue } from './next-due.js';
export { MAX_LISTED_MISSED, type MissedReason, type MissedReport, type MissedSlot } from './missed.js';
export { MAX_SLOTS_PER_CALL, nextSlots, slotsBetween } from './slots.js';
export {
  parseScheduleSpec,
  scheduleSpecObject,
  scheduleSpecSchema,
  type ParseOptions,
  type ScheduleSpecInput,
} from './spec.js';
export { checkSpecAt } from './spec-checks.js';
export {
  CATCH_UP_POLICIES,
  CONCURRENCY_POLICIES,
  DEFAULT_CATCH_UP_LIMIT,
  MAX_CATCH_UP_LIMIT,
  type CatchUpPolicy,
  type ConcurrencyPolicy,
  type ScheduleSpec,
} from './types.js';
export { canonicalZone, zonedIsoFormatter } from './zone.js';
