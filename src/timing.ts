import { setTimeout as delay } from 'node:timers/promises';

/**
 * Waits `ms`, or less when `signal` aborts: then it resolves (callers check the signal themselves and decide what a
 * stop means for their work). A leaf utility every layer may use.
 */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(Math.max(0, ms), undefined, signal ? { signal } : undefined);
  } catch (err) {
    if (!signal?.aborted) throw err;
  }
}

export interface BackoffOptions {
  /** The first delay. */
  readonly base: number;
  readonly max: number;
  /** 0..1: each delay is d × (1 − jitter) plus a random part up to d × jitter, so retries of many clients spread out. */
  readonly jitter?: number;
  readonly random?: () => number;
}

/** The delay before retry number `attempt` (1 for the first retry): base doubled per attempt, capped, with jitter. */
export function backoff(attempt: number, o: BackoffOptions): number {
  const exp = Math.min(o.max, o.base * 2 ** Math.max(0, attempt - 1));
  const j = Math.min(1, Math.max(0, o.jitter ?? 0));
  return Math.round(exp * (1 - j) + exp * j * (o.random ?? Math.random)());
}
