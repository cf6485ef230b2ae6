// npm run bench:schedule: the CPU cost of finding due slots for 1,000 schedules per scheduler tick.
// Pure computation on a simulated clock (no store, no timers), so it measures the schedule logic alone:
//   steady state  the loop keeps each schedule's nextDueAt and calls decide() only when it has come (the intended use)
//   naive         decide() for every schedule on every tick (what the index saves)
//   restart       the first tick after a 30 s restart: every schedule decided from its persisted cursor
//   downtime      the first tick after 3 days down: every schedule catches up
import {
  compileSchedule,
  decide,
  parseScheduleSpec,
  type CompiledSchedule,
  type ScheduleSpecInput,
} from '../src/templates/schedule/index.js';
import { percentile } from './stats.js';

const SCHEDULES = 1000;
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const T0 = Date.parse('2026-10-24T12:00:00Z'); // the hour ahead crosses nothing; the 3-day window crosses the Berlin changeover

const ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney', 'UTC'];
const CRONS = ['30 2 * * *', '0 * * * *', '*/15 * * * *', '*/5 * * * *', '0 9-17 * * 1-5', '@daily', '* * * * *'];
const EVERIES = ['1m', '5m', '15m', '1h', '1d'];

/** A fleet like the issue's: cron in several zones, intervals, a few one-shots; jitter on some. */
function fleet(): { id: string; compiled: CompiledSchedule }[] {
  return Array.from({ length: SCHEDULES }, (_, i) => {
    let input: ScheduleSpecInput;
    if (i % 10 < 6) input = { cron: CRONS[i % CRONS.length], tz: ZONES[i % ZONES.length] };
    else if (i % 10 < 9) input = { every: EVERIES[i % EVERIES.length] };
    else input = { at: new Date(T0 + (i % 120) * MIN).toISOString().slice(0, 19) + 'Z' };
    if (i % 3 === 0) input.jitter_s = 30;
    return { id: `tpl_${i}`, compiled: compileSchedule(parseScheduleSpec(input)) };
  });
}

function cpuMs(f: () => void): number {
  const before = process.cpuUsage();
  f();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

interface State {
  cursor: Date | null;
  nextDueAt: number | null | undefined;
}

function tick(schedules: ReturnType<typeof fleet>, states: State[], now: number, useIndex: boolean): number {
  let decisions = 0;
  schedules.forEach((s, i) => {
    const state = states[i] as State;
    if (useIndex && (state.nextDueAt === null || (state.nextDueAt !== undefined && state.nextDueAt > now))) return;
    const d = decide({
      scheduleId: s.id,
      schedule: s.compiled,
      state: { cursor: state.cursor, since: new Date(T0 - DAY) },
      now: new Date(now),
      activeRun: false,
    });
    decisions++;
    if (d.advanced) state.cursor = d.cursor;
    state.nextDueAt = d.nextDueAt === null ? null : d.nextDueAt.getTime();
  });
  return decisions;
}

/** States as if every schedule had handled its last slot at or before `at`. */
function settledAt(schedules: ReturnType<typeof fleet>, at: number): State[] {
  const states: State[] = schedules.map(() => ({ cursor: null, nextDueAt: undefined }));
  tick(schedules, states, at, false);
  return states;
}

function main(): void {
  let schedules: ReturnType<typeof fleet> = [];
  const compileMs = cpuMs(() => {
    schedules = fleet();
  });
  console.log(`${SCHEDULES} schedules; compiling them: ${compileMs.toFixed(0)} ms CPU`);

  // Steady state: one hour of 1-second ticks with the due index.
  const states = settledAt(schedules, T0);
  const perTick: number[] = [];
  let decisions = 0;
  const ticks = 3600;
  for (let k = 1; k <= ticks; k++) {
    perTick.push(
      cpuMs(() => {
        decisions += tick(schedules, states, T0 + k * 1000, true);
      }),
    );
  }
  const total = perTick.reduce((a, b) => a + b, 0);
  console.log(
    `steady state, 1 s ticks for 1 hour: ${decisions} decisions; CPU ${(total / 60).toFixed(1)} ms per minute, ` +
      `${((total / ticks) * 1000).toFixed(0)} µs per tick on average, p99 tick ${percentile(perTick, 99).toFixed(2)} ms, ` +
      `worst tick ${Math.max(...perTick).toFixed(1)} ms`,
  );

  // Naive: every schedule decided on every tick.
  const naiveStates = settledAt(schedules, T0);
  const naive: number[] = [];
  for (let k = 1; k <= 20; k++) naive.push(cpuMs(() => tick(schedules, naiveStates, T0 + k * 1000, false)));
  console.log(`naive (decide() for all on each tick): p50 ${percentile(naive, 50).toFixed(0)} ms CPU per tick`);

  // Restart after 30 s: every schedule decided once from its persisted cursor.
  const restart = settledAt(schedules, T0);
  for (const s of restart) s.nextDueAt = undefined;
  console.log(
    `first tick after a 30 s restart: ${cpuMs(() => tick(schedules, restart, T0 + 30_000, true)).toFixed(0)} ms CPU`,
  );

  // Downtime of 3 days: every schedule catches up (latest) and reports what it missed.
  const down = settledAt(schedules, T0);
  for (const s of down) s.nextDueAt = undefined;
  console.log(
    `first tick after 3 days down: ${cpuMs(() => tick(schedules, down, T0 + 3 * DAY, true)).toFixed(0)} ms CPU`,
  );
}

main();
