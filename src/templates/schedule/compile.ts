import { buildCron } from './cron.js';
import { parseEvery } from './duration.js';
import { parseInstant } from './instant.js';
import { cronSource, intervalSource, onceSource, type SlotSource } from './sources.js';
import type { ScheduleSpec } from './types.js';

/**
 * A schedule ready for computation: the spec plus its slot source. Compiling parses the cron expression or the
 * times once; the scheduler loop keeps one compiled schedule per schedule and recompiles when the spec changes.
 * A compiled schedule holds no clock and no timer, and is safe to share.
 */
export interface CompiledSchedule {
  readonly spec: ScheduleSpec;
  readonly kind: 'cron' | 'every' | 'at';
  readonly source: SlotSource;
  /** `every` only: the period in milliseconds. */
  readonly periodMs?: number;
  /** `every` only: the instant the slots are aligned to. */
  readonly anchor?: Date;
  /** `at` only: the one slot. */
  readonly once?: Date;
}

/** Either form is accepted by the slot functions; pass a compiled one where the same schedule is asked often. */
export type ScheduleLike = ScheduleSpec | CompiledSchedule;

/** Default `every` anchor: the Unix epoch, so "every 15m" falls on :00, :15, :30, :45 on every instance. */
const EPOCH_MS = 0;

/**
 * Compiles a validated spec (from parseScheduleSpec). Throws only if the spec did not come from there, since
 * validation already checked everything compiled here.
 */
export function compileSchedule(spec: ScheduleSpec): CompiledSchedule {
  if (spec.cron !== undefined) {
    return Object.freeze({ spec, kind: 'cron', source: cronSource(buildCron(spec.cron, spec.tz)) });
  }
  if (spec.every !== undefined) {
    const period = parseEvery(spec.every);
    if (!period.ok) throw new TypeError(`compileSchedule: unvalidated every: ${period.problem}`);
    const anchor = spec.anchor === undefined ? new Date(EPOCH_MS) : instantOrThrow(spec.anchor, spec.tz);
    const periodMs = period.seconds * 1000;
    return Object.freeze({ spec, kind: 'every', source: intervalSource(anchor.getTime(), periodMs), periodMs, anchor });
  }
  if (spec.at !== undefined) {
    const once = instantOrThrow(spec.at, spec.tz);
    return Object.freeze({ spec, kind: 'at', source: onceSource(once), once });
  }
  throw new TypeError('compileSchedule: a spec needs one of cron, every or at (validate it with parseScheduleSpec)');
}

export function asCompiled(schedule: ScheduleLike): CompiledSchedule {
  return 'source' in schedule ? schedule : compileSchedule(schedule);
}

function instantOrThrow(text: string, zone: string): Date {
  const r = parseInstant(text, zone);
  if (!r.ok) throw new TypeError(`compileSchedule: unvalidated time: ${r.problem}`);
  return r.instant;
}
