import { monotonicFactory } from 'ulid';
import type { ClaimRequest, InstanceRef, NewJobSpec, Stores } from '../../../../src/jobs/store/contract.js';

/** One database for one test, on which stores can be opened as several instances (processes). */
export interface World {
  /** Opens the stores on this database as another instance; closed by cleanup. */
  open(instance: InstanceRef, opts?: { agingMs?: number }): Promise<Stores>;
  cleanup(): Promise<void>;
}

export interface StoreHarness {
  readonly kind: 'sqlite' | 'postgres';
  fresh(): Promise<World>;
}

export type MakeWorld = () => Promise<World>;

export const A: InstanceRef = { id: 'inst-a', host: 'host-a', pid: 101 };
export const B: InstanceRef = { id: 'inst-b', host: 'host-b', pid: 202 };
export const C: InstanceRef = { id: 'inst-c', host: 'host-c', pid: 303 };

/** Ids in creation order, as the engine makes them. */
const ulid = monotonicFactory();
export const T0 = 1_800_000_000_000;

export function spec(over: Partial<NewJobSpec> = {}, now = T0): NewJobSpec {
  return {
    id: `job_${ulid(now)}`,
    type: 'remote-bash',
    server: null,
    params: { command: 'true' },
    timeout_s: 60,
    ...over,
  };
}

export function claimReq(instance: InstanceRef, over: Partial<ClaimRequest> = {}): ClaimRequest {
  return { instance, now: T0, maxForInstance: 10, maxPerServer: 10, max: 10, ...over };
}

export async function expectCode(p: Promise<unknown>, code: string): Promise<Error & { code: string }> {
  try {
    await p;
  } catch (err) {
    if ((err as { code?: string }).code === code) return err as Error & { code: string };
    throw new Error(`expected a DeckhandError ${code}, got: ${String(err)}`, { cause: err });
  }
  throw new Error(`expected a DeckhandError ${code}, but it resolved`);
}

export async function waitUntil(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
