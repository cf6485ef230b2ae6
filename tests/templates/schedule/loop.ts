import {
  compileSchedule,
  decide,
  type MissedReport,
  type ScheduleSpec,
  type SkippedSlot,
} from '../../../src/templates/schedule/index.js';

/**
 * A scheduler loop in miniature, driven by an injected clock (a number stepped by the test, never a real timer),
 * with an in-memory "store": a map of runs under their unique key and a shared cursor. It is how the real loop is
 * meant to use decide(): ask only when nextDueAt has come, insert under the key, move the cursor forward.
 */

export interface SimRun {
  key: string;
  slot: Date;
  /** When the run started (its startAt, or the decision time if that was later). */
  start: number;
  /** When it ended, or was cancelled by a Replace. */
  end: number;
  replaced: boolean;
  late: boolean;
}

export interface SimStore {
  runs: Map<string, SimRun>;
  cursor: Date | null;
  /** Inserts refused because the key existed: another instance won the slot. */
  duplicates: number;
  skipped: SkippedSlot[];
  missed: MissedReport[];
}

export function newStore(cursor: Date | null = null): SimStore {
  return { runs: new Map(), cursor, duplicates: 0, skipped: [], missed: [] };
}

export interface Instance {
  /** Advances this instance to `now`: decides if a slot may be due, and applies the decision to the store. */
  tick(now: number): void;
  /**
   * The two halves of a tick, for racing instances: read the store and decide now, write later. Two instances
   * that both read before either writes are two concurrent transactions.
   */
  prepare(now: number): (() => void) | null;
  decisions: number;
}

export function instance(opts: {
  id: string;
  spec: ScheduleSpec;
  store: SimStore;
  since: Date;
  runMs: number;
  graceMs?: number;
}): Instance {
  const compiled = compileSchedule(opts.spec);
  const { store } = opts;
  let nextDueAt: number | null | undefined; // undefined: not known yet, ask
  const self: Instance = {
    decisions: 0,
    tick(now) {
      self.prepare(now)?.();
    },
    prepare(now) {
      if (nextDueAt === null || (nextDueAt !== undefined && nextDueAt > now)) return null;
      const activeRuns = [...store.runs.values()].filter((r) => r.start <= now && now < r.end);
      const d = decide({
        scheduleId: opts.id,
        schedule: compiled,
        state: { cursor: store.cursor, since: opts.since },
        now: new Date(now),
        activeRun: activeRuns.length > 0,
        ...(opts.graceMs === undefined ? {} : { graceMs: opts.graceMs }),
      });
      self.decisions++;
      nextDueAt = d.nextDueAt === null ? null : d.nextDueAt.getTime();
      return () => apply(d, now, activeRuns);
    },
  };
  // One "transaction": runs under the unique key, records, cursor = max(old, new).
  function apply(d: ReturnType<typeof decide>, now: number, activeRuns: SimRun[]): void {
    for (const run of d.fire) {
      if (store.runs.has(run.key)) {
        store.duplicates++;
        continue;
      }
      if (run.replaceActive) {
        for (const r of activeRuns) {
          r.end = now;
          r.replaced = true;
        }
      }
      const start = Math.max(now, run.startAt.getTime());
      store.runs.set(run.key, {
        key: run.key,
        slot: run.slot,
        start,
        end: start + opts.runMs,
        replaced: false,
        late: run.late,
      });
    }
    store.skipped.push(...d.skipped);
    if (d.missed) store.missed.push(d.missed);
    if (d.cursor && (!store.cursor || d.cursor.getTime() > store.cursor.getTime())) store.cursor = d.cursor;
  }
  return self;
}

/** Steps the clock from `from` to `to` (inclusive) by `stepMs`, ticking every instance at each step. */
export function run(instances: Instance[], from: number, to: number, stepMs: number): void {
  for (let now = from; now <= to; now += stepMs) for (const i of instances) i.tick(now);
}
