// What the decide() tests share: time units, a schedule id, and a decision with the usual defaults.
import {
  decide,
  parseScheduleSpec,
  type DecideInput,
  type ScheduleSpecInput,
} from '../../../src/templates/schedule/index.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
export const ID = 'tpl_patch-web';
export const t = (s: string) => new Date(s);
export const at = (ms: number) => new Date(ms);
export const iso = (dates: readonly { slot: Date }[]) => dates.map((d) => d.slot.toISOString());

export function decision(
  spec: ScheduleSpecInput,
  state: { cursor: Date | null; since?: Date },
  now: Date,
  more: Partial<DecideInput> = {},
) {
  return decide({
    scheduleId: ID,
    schedule: parseScheduleSpec(spec),
    state: { cursor: state.cursor, since: state.since ?? t('2026-01-01T00:00:00Z') },
    now,
    activeRun: false,
    ...more,
  });
}
