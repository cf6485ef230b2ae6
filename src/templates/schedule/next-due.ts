import { decide } from './decide.js';
import type { ScheduleSpec } from './types.js';

/**
 * When the scheduler should look at a schedule next: now when slots are already pending (a resume after a pause),
 * else its next slot; null for no schedule (or one whose template does not run), a paused or a finished one.
 */
export function nextDue(
  id: string,
  schedule: ScheduleSpec | null,
  state: { cursor: number | null; since: number | null },
  now: number,
): number | null {
  if (schedule === null || schedule.suspend) return null;
  const d = decide({
    scheduleId: id,
    schedule,
    state: { cursor: state.cursor === null ? null : new Date(state.cursor), since: new Date(state.since ?? now) },
    now: new Date(now),
    activeRun: false,
  });
  return d.advanced ? now : (d.nextDueAt?.getTime() ?? null);
}
