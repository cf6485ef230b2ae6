// The one way tests wait for something they cannot be told about: poll with a deadline, never a bare sleep.
// No vitest here: the benchmarks (bench/, plain node) use the helpers that use it.
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `probe` until it answers something other than false, undefined or null, and answers that; fails naming
 * `what` once `timeoutMs` has passed. A probe that throws fails the wait at once.
 */
export async function waitFor<T>(
  probe: () => T | false | undefined | null | Promise<T | false | undefined | null>,
  what: string,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== false && v !== undefined && v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
