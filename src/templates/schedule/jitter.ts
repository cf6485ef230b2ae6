import { createHash } from 'node:crypto';

/**
 * Jitter (systemd's RandomizedDelaySec): each slot starts a pseudo-random 0..jitter_s seconds after its nominal
 * time, so fifty schedules at 03:00 do not hit their servers in the same second.
 *
 * The delay is a hash of (schedule id, slot), not Math.random(): every instance computes the same start time for
 * the same slot, a restart does not move it, and a test can state it exactly.
 */

/** The delay for one slot in milliseconds, uniform over [0, jitterS * 1000]. */
export function jitterMs(scheduleId: string, slot: Date, jitterS: number): number {
  if (!(jitterS > 0)) return 0;
  const digest = createHash('sha256').update(`${scheduleId}\n${slot.toISOString()}`).digest();
  // 48 bits of the digest, read as a fraction in [0, 1): plenty for a millisecond resolution over a day.
  const fraction = digest.readUIntBE(0, 6) / 2 ** 48;
  return Math.floor(fraction * (jitterS * 1000 + 1));
}

/** When the run for `slot` may start: the slot plus its jitter. A start time in the past means "start now". */
export function jitteredStart(scheduleId: string, slot: Date, jitterS: number): Date {
  return new Date(slot.getTime() + jitterMs(scheduleId, slot, jitterS));
}
