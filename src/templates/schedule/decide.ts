import { asCompiled, type ScheduleLike } from './compile.js';
import { scheduleRunKey } from './identity.js';
import { jitterMs } from './jitter.js';
import { missedReport, type MissedReport } from './missed.js';

/**
 * The firing decision: given a schedule, what it has already handled, the time and whether a run is active, which
 * slots start now, which are skipped and which were missed. Pure: no clock, no store, no timer; the scheduler loop
 * supplies `now` and persists the result.
 *
 * The rules, after Kubernetes CronJob and systemd timers:
 * - Pending slots are those in (cursor, now + aheadMs]. A slot older than starting_deadline_s is missed ("deadline").
 * - catch_up picks among the others: "latest" starts the most recent one (one run however long deckhand was down,
 *   like the CronJob controller and systemd's Persistent=); "none" starts a slot only if it is noticed on time
 *   (within `graceMs`), so nothing runs for slots that passed while deckhand was down; "all" starts the most recent
 *   `catch_up_limit` of them. The rest are missed ("catch_up").
 * - With a run still active, concurrency_policy decides: Forbid skips the slot (recorded, not retried), Replace
 *   starts it after cancelling the active run, Allow starts it alongside.
 * - A suspended schedule decides nothing and keeps its cursor; on resume the slots that passed meanwhile are
 *   pending, so exactly the catch-up policy applies to them.
 *
 * Every slot is handled once: the new cursor is the latest pending slot, whatever happened to it. Persist it in the
 * same transaction that inserts the runs; the runs' unique key (identity.ts) makes a race with another instance
 * harmless, and the cursor only ever moves forward (store max(old, new)).
 */

/** Default `graceMs`: a slot noticed within a minute of its time is on time. */
export const DEFAULT_GRACE_MS = 60_000;

export interface ScheduleState {
  /** Nominal time of the last slot handled (started, skipped or missed), as persisted; null before the first. */
  readonly cursor: Date | null;
  /**
   * When the schedule was created, or its timing (cron/every/at/tz/anchor) last changed: no slot at or before it is
   * ever due. Used while `cursor` is null; on a timing change, set cursor to null and since to the change's time.
   */
  readonly since: Date;
}

export interface DecideInput {
  /** A stable id (not a version): part of every run key. */
  readonly scheduleId: string;
  readonly schedule: ScheduleLike;
  readonly state: ScheduleState;
  readonly now: Date;
  /** Whether a run started by this schedule is still queued or running. */
  readonly activeRun: boolean;
  /** How late a slot may be noticed and still be on time: the loop's tick plus slack. Default 60 s. */
  readonly graceMs?: number;
  /**
   * How far ahead slots may be decided: a slot up to this long after `now` fires now, its run waiting for the
   * slot's time (startAt), so a thousand schedules due in one second are all created before it. Not with a run
   * active under Forbid or Replace: whether the slot is skipped, or the active run replaced, is decided at its time.
   */
  readonly aheadMs?: number;
}

/** A run to start. */
export interface SlotRun {
  /** The slot's nominal time: what the run is for, and part of its key. */
  readonly slot: Date;
  /** The run's identity; insert it under a unique constraint. */
  readonly key: string;
  /** Not before this instant (slot + jitter); in the past means start now. */
  readonly startAt: Date;
  readonly jitterMs: number;
  /** Noticed later than `graceMs` after its slot: a catch-up run, worth marking as such in the history. */
  readonly late: boolean;
  /** Replace policy with a run active: cancel that run, then start this one. */
  readonly replaceActive: boolean;
}

/** A slot not started because a run was still active (Forbid): record it, do not retry it. */
export interface SkippedSlot {
  readonly slot: Date;
  readonly key: string;
  readonly reason: 'forbid';
}

export interface ScheduleDecision {
  readonly fire: readonly SlotRun[];
  readonly skipped: readonly SkippedSlot[];
  readonly missed: MissedReport | null;
  /** The cursor to persist (the input cursor when nothing was pending). */
  readonly cursor: Date | null;
  /** Whether the cursor moved, i.e. there is something to persist. */
  readonly advanced: boolean;
  /** When this schedule next has a slot: the loop need not ask again before it. Null when suspended or finished. */
  readonly nextDueAt: Date | null;
  readonly suspended: boolean;
  /** No slot will ever come again (an `at` schedule after its slot). */
  readonly finished: boolean;
}

export function decide(input: DecideInput): ScheduleDecision {
  const { scheduleId, state, now, activeRun } = input;
  const { spec, source } = asCompiled(input.schedule);
  const graceMs = input.graceMs ?? DEFAULT_GRACE_MS;
  const start = state.cursor ?? state.since;
  const ahead = activeRun && spec.concurrency_policy !== 'Allow' ? 0 : Math.max(0, input.aheadMs ?? 0);
  // Slots up to the horizon are pending; how late each is stays measured from now (a slot ahead is never late).
  const horizon = new Date(now.getTime() + ahead);
  const idle = (nextDueAt: Date | null, suspended: boolean): ScheduleDecision =>
    Object.freeze({
      fire: [],
      skipped: [],
      missed: null,
      cursor: state.cursor,
      advanced: false,
      nextDueAt,
      suspended,
      finished: !suspended && nextDueAt === null,
    });

  if (spec.suspend) return idle(null, true);
  const first = source.after(start);
  if (first === null || first.getTime() > horizon.getTime()) return idle(first, false);

  // The usual tick finds exactly one pending slot: two forward steps tell, and give the next due time too, which
  // keeps the common case at two cron computations. Otherwise only the most recent pending slots can run; older
  // ones are at most counted.
  const second = source.after(first);
  const single = second === null || second.getTime() > horizon.getTime();
  const want = spec.catch_up === 'all' ? (spec.catch_up_limit ?? 1) : 1;
  const looked = single ? [first] : source.latest(start, horizon, want);
  // Stepping back and forth agree (tested across DST); should they ever not, handling `first` alone still moves on.
  const recent = looked.length > 0 ? looked : [first];
  const latest = recent[recent.length - 1] as Date;
  const deadlineMs = spec.starting_deadline_s === undefined ? Infinity : spec.starting_deadline_s * 1000;
  const age = (slot: Date) => now.getTime() - slot.getTime();

  const live = recent.filter((slot) => age(slot) <= deadlineMs);
  let chosen: Date[];
  if (spec.catch_up === 'all') chosen = live;
  else if (spec.catch_up === 'latest') chosen = live.slice(-1);
  else chosen = age(latest) <= Math.min(graceMs, deadlineMs) ? [latest] : [];

  const missed = missedReport({
    scheduleId,
    source,
    start,
    now,
    recent,
    recentIsAll: recent[0]?.getTime() === first.getTime(),
    chosen: new Set(chosen.map((s) => s.getTime())),
    deadlineMs,
  });

  const fire: SlotRun[] = [];
  const skipped: SkippedSlot[] = [];
  for (const slot of chosen) {
    const key = scheduleRunKey(scheduleId, slot);
    if (activeRun && spec.concurrency_policy === 'Forbid') {
      skipped.push(Object.freeze({ slot, key, reason: 'forbid' }));
      continue;
    }
    const delay = jitterMs(scheduleId, slot, spec.jitter_s);
    fire.push(
      Object.freeze({
        slot,
        key,
        startAt: new Date(slot.getTime() + delay),
        jitterMs: delay,
        late: age(slot) > graceMs,
        replaceActive: activeRun && spec.concurrency_policy === 'Replace',
      }),
    );
  }

  const nextDueAt = single ? second : source.after(latest);
  return Object.freeze({
    fire: Object.freeze(fire),
    skipped: Object.freeze(skipped),
    missed,
    cursor: latest,
    advanced: true,
    nextDueAt,
    suspended: false,
    finished: nextDueAt === null,
  });
}
