import { scheduleRunKey } from './identity.js';
import type { SlotSource } from './sources.js';

/**
 * The report of slots that will never run. Up to 100 are listed one by one; more are reported as a count (the
 * Kubernetes controller warns above 100 missed schedules too), so a long downtime never floods the history.
 */

export const MAX_LISTED_MISSED = 100;

/**
 * Why a slot never ran. `deadline`: it was older than starting_deadline_s when it could have started.
 * `catch_up`: the catch-up policy left it out (a later slot ran instead, or catch_up is "none").
 */
export type MissedReason = 'deadline' | 'catch_up';

export interface MissedSlot {
  readonly slot: Date;
  readonly key: string;
  readonly reason: MissedReason;
}

export interface MissedReport {
  /** How many slots were missed; an estimate when `exact` is false. */
  readonly count: number;
  /** False only for cron schedules with more than 100 missed slots: counting them exactly would mean stepping through each. */
  readonly exact: boolean;
  readonly first: Date;
  readonly last: Date;
  /** Every missed slot, oldest first, when there are at most 100; otherwise empty (see count). */
  readonly slots: readonly MissedSlot[];
}

export interface MissedInput {
  readonly scheduleId: string;
  readonly source: SlotSource;
  /** The range of pending slots is (start, now]. */
  readonly start: Date;
  readonly now: Date;
  /** The most recent pending slots, oldest first, as the decision looked at them (the chosen ones among them). */
  readonly recent: readonly Date[];
  /** Whether `recent` begins at the first pending slot (then nothing older is pending). */
  readonly recentIsAll: boolean;
  readonly chosen: ReadonlySet<number>;
  readonly deadlineMs: number;
}

/** The slots in (start, now] that are not chosen to run, or null when there are none. */
export function missedReport(input: MissedInput): MissedReport | null {
  const { scheduleId, source, start, now, recent, chosen, deadlineMs } = input;
  const reasonOf = (slot: Date): MissedReason =>
    now.getTime() - slot.getTime() > deadlineMs ? 'deadline' : 'catch_up';
  const recentMissed = recent.filter((s) => !chosen.has(s.getTime()));

  let older: Date[] = [];
  let olderCount = 0;
  let exact = true;
  const firstRecent = recent[0];
  if (!input.recentIsAll && firstRecent !== undefined) {
    const olderEnd = new Date(firstRecent.getTime() - 1);
    const counted = source.count(start, olderEnd);
    if (counted !== null) {
      olderCount = counted;
      if (counted + recentMissed.length <= MAX_LISTED_MISSED) older = source.earliest(start, olderEnd, counted);
    } else {
      older = source.earliest(start, olderEnd, MAX_LISTED_MISSED + 1);
      olderCount = older.length;
      if (older.length > MAX_LISTED_MISSED) {
        olderCount = estimateCount(older, firstRecent);
        exact = false;
      }
    }
  }

  const count = olderCount + recentMissed.length;
  if (count === 0) return null;
  // The oldest missed slot is the first pending one when anything older than `recent` was missed.
  const first = olderCount > 0 ? (older[0] ?? source.after(start) ?? undefined) : recentMissed[0];
  const lastOlder =
    olderCount === 0 || firstRecent === undefined
      ? undefined
      : older.length === olderCount
        ? older[older.length - 1]
        : source.latest(start, new Date(firstRecent.getTime() - 1), 1)[0];
  const last = recentMissed[recentMissed.length - 1] ?? lastOlder;
  if (first === undefined || last === undefined) return null;

  const listed = count <= MAX_LISTED_MISSED && exact;
  const slots = listed
    ? [...older, ...recentMissed].map((slot) =>
        Object.freeze({ slot, key: scheduleRunKey(scheduleId, slot), reason: reasonOf(slot) }),
      )
    : [];
  return Object.freeze({ count, exact, first, last, slots: Object.freeze(slots) });
}

/**
 * Slots in [listing[0], end), extrapolated from the spacing of the listed ones. Exact for evenly spaced
 * expressions (`*\/5 * * * *`), close for the rest; marked as an estimate either way.
 */
function estimateCount(listing: Date[], end: Date): number {
  const firstMs = (listing[0] as Date).getTime();
  const lastMs = (listing[listing.length - 1] as Date).getTime();
  const spacing = (lastMs - firstMs) / (listing.length - 1);
  const estimate = spacing > 0 ? Math.round((end.getTime() - firstMs) / spacing) : listing.length;
  return Math.max(listing.length, estimate);
}
