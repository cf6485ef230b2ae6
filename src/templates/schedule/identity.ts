/**
 * The identity of the run a schedule starts for a slot: the schedule's id plus the slot's nominal time (the
 * Kubernetes CronJob trick). The store enforces it as a unique key, so two instances, or one instance restarted
 * inside a slot, can never start the same slot twice: the second insert fails and that instance moves on.
 *
 * The nominal time is the slot before jitter, so every instance derives the same key whatever its clock says.
 * Use a schedule id that survives edits (a template's id, not its version), so an edit never re-opens a slot.
 */

/** "<scheduleId>@<slot as UTC ISO 8601>", e.g. "tpl_01J…@2026-03-29T01:00:00.000Z". Sorts by slot within a schedule. */
export function scheduleRunKey(scheduleId: string, slot: Date): string {
  if (scheduleId === '' || scheduleId.includes('@')) {
    // '@' separates the parts; an id containing it could make two different (id, slot) pairs share a key.
    throw new TypeError(`scheduleRunKey: the schedule id must be non-empty and contain no "@" (got "${scheduleId}")`);
  }
  return `${scheduleId}@${slot.toISOString()}`;
}

/** The parts of a key made by scheduleRunKey, or null if it is not one. */
export function parseScheduleRunKey(key: string): { scheduleId: string; slot: Date } | null {
  const at = key.lastIndexOf('@');
  if (at <= 0) return null;
  const slot = new Date(key.slice(at + 1));
  if (Number.isNaN(slot.getTime()) || slot.toISOString() !== key.slice(at + 1)) return null;
  return { scheduleId: key.slice(0, at), slot };
}
