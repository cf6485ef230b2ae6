import type { StatusCounts, Stores } from './store/contract.js';
import * as T from './types.js';
import type { Job } from './types.js';

/**
 * A batch is a parent job (type "batch", no owner, 'running' while any child is queued or running) over one child
 * job per target, each a normal durable job. The parent holds the batch's policy; its state follows from its
 * children's, recomputed (never counted up) whenever one of them ends, so a crash between a child's end and the
 * parent's update is repaired by the next look.
 */
export const BATCH_TYPE = 'batch';

export interface BatchPolicy {
  /** Once more than this many children failed (or were lost), no more start; null: never stop. */
  readonly max_failures: number | null;
  /** Stop at the first failure, running children included. */
  readonly fail_fast: boolean;
}

export function policyOf(parent: Job): BatchPolicy {
  const p = parent.params as { max_failures?: unknown; fail_fast?: unknown };
  return {
    max_failures: typeof p.max_failures === 'number' ? p.max_failures : null,
    fail_fast: p.fail_fast === true,
  };
}

export function failuresOf(c: StatusCounts): number {
  return c.failed + c.lost;
}

/** Whether the policy says to start no more children. */
export function stopping(policy: BatchPolicy, c: StatusCounts): boolean {
  const failures = failuresOf(c);
  if (policy.fail_fast) return failures > 0;
  return policy.max_failures !== null && failures > policy.max_failures;
}

/** The parent's end once no child is queued or running: undefined while any still is. */
export function batchEnd(parent: Job, c: StatusCounts, now: Date): Job | undefined {
  if (c.queued + c.running > 0 || T.isTerminal(parent.status)) return undefined;
  const total = c.queued + c.running + c.completed + c.failed + c.cancelled + c.lost;
  const summary = `${c.completed} of ${total} completed${c.failed ? `, ${c.failed} failed` : ''}${c.lost ? `, ${c.lost} lost` : ''}${c.cancelled ? `, ${c.cancelled} cancelled` : ''}`;
  const result = { counts: c };
  if (parent.cancel_requested_at) return T.cancelJob(parent, now, `Batch cancelled: ${summary}.`, { result });
  if (failuresOf(c) > 0 || c.cancelled > 0) {
    const why = parent.runtime.stopped ? ` (${String(parent.runtime.stopped)})` : '';
    return T.failJob(parent, { code: 'batch_failed', message: `Batch failed: ${summary}${why}.` }, now, { result });
  }
  return T.completeJob(parent, now, result);
}

/** Children of a batch that have not ended, by status, in pages. */
async function openChildren(stores: Stores, parentId: string, status: 'queued' | 'running'): Promise<Job[]> {
  const out: Job[] = [];
  let cursor: string | undefined;
  do {
    const page = await stores.jobs.list({ parent_id: parentId, status }, 500, cursor);
    out.push(...page.jobs);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

export interface SettleResult {
  /** The parent as it is now. */
  readonly parent: Job | undefined;
  /** Children this call cancelled (queued) or asked to stop (running). */
  readonly stopped: readonly Job[];
}

/**
 * After a child of `parentId` changed: applies the batch's policy (queued children cancelled, running ones asked to
 * stop under fail_fast or a batch cancel) and ends the parent when no child is left. Idempotent: any instance may
 * call it any number of times.
 */
export async function settleBatch(stores: Stores, parentId: string, now = new Date()): Promise<SettleResult> {
  let parent = await stores.jobs.get(parentId);
  if (!parent || parent.type !== BATCH_TYPE || T.isTerminal(parent.status)) return { parent, stopped: [] };
  const stopped: Job[] = [];
  let counts = await stores.jobs.countChildren(parentId);
  const policy = policyOf(parent);
  const cancelling = parent.cancel_requested_at !== null;
  if ((cancelling || stopping(policy, counts)) && counts.queued + counts.running > 0) {
    if (!cancelling && !parent.runtime.stopped) {
      const why = policy.fail_fast ? 'fail_fast' : `more than ${policy.max_failures} failed`;
      parent = (await stores.jobs.update(parentId, (j) => T.setRuntime(j, { stopped: why }))) ?? parent;
    }
    for (const child of await openChildren(stores, parentId, 'queued')) {
      const j = await stores.jobs.requestCancel(child.id, now.getTime());
      if (j) stopped.push(j);
    }
    if (cancelling || policy.fail_fast) {
      for (const child of await openChildren(stores, parentId, 'running')) {
        if (child.cancel_requested_at) continue;
        const j = await stores.jobs.requestCancel(child.id, now.getTime());
        if (j) stopped.push(j);
      }
    }
    counts = await stores.jobs.countChildren(parentId);
  }
  const ended = await stores.jobs.update(parentId, (j) => batchEnd(j, counts, now));
  return { parent: ended ?? parent, stopped };
}
