import { asCompiled, type ScheduleLike } from './compile.js';

/**
 * Slot times of a schedule. A slot is a schedule's nominal time: when it is due, before jitter. Results are
 * instants (Date, UTC inside); show them in the schedule's zone with next-runs.ts.
 */

/** The most slots one call returns: a range can hold far more slots than anyone should list. */
export const MAX_SLOTS_PER_CALL = 1000;

/**
 * Slots in (from, to], oldest first, at most `limit` (default and ceiling 1000). A result of exactly `limit`
 * slots may have been cut short; ask again from its last slot for more.
 */
export function slotsBetween(schedule: ScheduleLike, from: Date, to: Date, limit = MAX_SLOTS_PER_CALL): Date[] {
  if (to.getTime() <= from.getTime()) return [];
  return asCompiled(schedule).source.earliest(from, to, clampCount(limit));
}

/** The next `n` slots strictly after `after` (fewer when the schedule ends, e.g. an `at` schedule). */
export function nextSlots(schedule: ScheduleLike, after: Date, n: number): Date[] {
  const source = asCompiled(schedule).source;
  const out: Date[] = [];
  let cursor: Date | null = after;
  const want = clampCount(n);
  while (out.length < want) {
    cursor = source.after(cursor);
    if (cursor === null) break;
    out.push(cursor);
  }
  return out;
}

function clampCount(n: number): number {
  if (!Number.isFinite(n) || n <= 0) return 0;
  return Math.min(Math.floor(n), MAX_SLOTS_PER_CALL);
}
