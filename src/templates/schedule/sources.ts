import type { Cron } from 'croner';

/**
 * Where a schedule's slots fall, behind one small interface so the decision logic never asks which kind of
 * schedule it has. Every range is half-open, (from, to]: a slot exactly at `from` belongs to the range before,
 * which is what a cursor ("the last slot handled") needs.
 *
 * Cost differs by kind and matters for the scheduler loop: an interval or a one-shot answers in constant time;
 * a cron step costs one croner computation (tens of microseconds in UTC, a few hundred in a DST-aware zone, where
 * croner asks Intl for the wall time), so cron ranges are enumerated with a limit and never counted in full.
 */
export interface SlotSource {
  /** The first slot strictly after `t`, or null when there is none. */
  after(t: Date): Date | null;
  /** Up to `n` slots in (from, to], the earliest ones, oldest first. */
  earliest(from: Date, to: Date, n: number): Date[];
  /** Up to `n` slots in (from, to], the most recent ones, oldest first. */
  latest(from: Date, to: Date, n: number): Date[];
  /** The number of slots in (from, to] when it can be had without enumerating them, else null. */
  count(from: Date, to: Date): number | null;
}

/** Slots at `anchor + k * period` for every whole k: the period is kept in elapsed time, whatever DST does. */
export function intervalSource(anchorMs: number, periodMs: number): SlotSource {
  // Index of the last slot at or before t.
  const index = (t: number) => Math.floor((t - anchorMs) / periodMs);
  const at = (k: number) => new Date(anchorMs + k * periodMs);
  const range = (lo: number, hi: number) => {
    const out: Date[] = [];
    for (let k = lo; k <= hi; k++) out.push(at(k));
    return out;
  };
  return {
    after: (t) => at(index(t.getTime()) + 1),
    earliest: (from, to, n) =>
      range(index(from.getTime()) + 1, Math.min(index(to.getTime()), index(from.getTime()) + n)),
    latest: (from, to, n) =>
      range(Math.max(index(from.getTime()) + 1, index(to.getTime()) - n + 1), index(to.getTime())),
    count: (from, to) => Math.max(0, index(to.getTime()) - index(from.getTime())),
  };
}

/** The single slot of a one-shot schedule. */
export function onceSource(instant: Date): SlotSource {
  const t = instant.getTime();
  const inRange = (from: Date, to: Date) => from.getTime() < t && t <= to.getTime();
  return {
    after: (from) => (t > from.getTime() ? new Date(t) : null),
    earliest: (from, to, n) => (n > 0 && inRange(from, to) ? [new Date(t)] : []),
    latest: (from, to, n) => (n > 0 && inRange(from, to) ? [new Date(t)] : []),
    count: (from, to) => (inRange(from, to) ? 1 : 0),
  };
}

/** Slots of a cron expression, stepped by croner (DST rules in cron.ts). */
export function cronSource(cron: Cron): SlotSource {
  return {
    after: (t) => cron.nextRun(t),
    earliest(from, to, n) {
      const out: Date[] = [];
      let cursor: Date | null = from;
      while (out.length < n && cursor !== null) {
        cursor = cron.nextRun(cursor);
        if (cursor === null || cursor.getTime() > to.getTime()) break;
        out.push(cursor);
      }
      return out;
    },
    latest(from, to, n) {
      if (n <= 0) return [];
      // croner's previousRuns counts back from a reference, exclusive, with whole-second resolution: start one
      // second past `to`, ask for one more than needed, and keep what lies in the range.
      const back = cron.previousRuns(n + 1, new Date(to.getTime() + 1000));
      return back
        .filter((d) => d.getTime() > from.getTime() && d.getTime() <= to.getTime())
        .slice(0, n)
        .reverse();
    },
    count: () => null,
  };
}
