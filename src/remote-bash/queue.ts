import type { SubmitSpec } from '../jobs/engine.js';
import type { RetryPolicy } from '../jobs/types.js';

/** When and how often a command runs: its priority, start time and retries (the kernel keeps them, jobs/retry.ts). */
export interface QueuePolicies {
  /** 0 high, 1 normal, 2 low. */
  readonly priority?: number | undefined;
  /** Not started before this time (epoch ms). */
  readonly not_before?: number | undefined;
  readonly retry?: RetryPolicy | undefined;
  readonly active_deadline_s?: number | undefined;
  readonly ttl_after_finished_s?: number | undefined;
}

/** The policies as a job spec's fields (only those given). */
export function queueFields(q: QueuePolicies | undefined): Partial<Pick<SubmitSpec, QueueField>> {
  if (!q) return {};
  const out: Partial<Record<QueueField, unknown>> = {};
  for (const k of QUEUE_FIELDS) if (q[k] !== undefined) out[k] = q[k];
  return out as Partial<Pick<SubmitSpec, QueueField>>;
}

const QUEUE_FIELDS = ['priority', 'not_before', 'retry', 'active_deadline_s', 'ttl_after_finished_s'] as const;
type QueueField = (typeof QUEUE_FIELDS)[number];
