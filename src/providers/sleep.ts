import { setTimeout as delay } from 'node:timers/promises';

/** Waits `ms`; when `signal` aborts, rejects with the signal's own reason so callers see one error shape. */
export async function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw err;
  }
}
