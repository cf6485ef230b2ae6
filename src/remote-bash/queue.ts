import type { SubmitSpec } from '../jobs/engine.js';
import type { RetryPolicy, TemplateRunRef } from '../jobs/types.js';

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

/** Where a command comes from when a template runs it: the run's template and, for a schedule's slot, its key. */
export interface RunOrigin {
  readonly template: TemplateRunRef;
  /** One job ever per key (a schedule slot): a second start fails with `duplicate_job`. */
  readonly unique_key?: string | undefined;
  /** The template's parameters this run was given (not secrets: kept in the job's params as `template_params`). */
  readonly params?: Readonly<Record<string, string>> | undefined;
}

/** The run's parameters as the job's params show them. */
export function originParams(o: RunOrigin | undefined): { template_params?: Readonly<Record<string, string>> } {
  return o?.params && Object.keys(o.params).length > 0 ? { template_params: o.params } : {};
}

/** The origin as the fields of the job that stands for the run (a single job, or a batch's parent). */
export function originFields(o: RunOrigin | undefined): Partial<Pick<SubmitSpec, 'template' | 'unique_key'>> {
  if (!o) return {};
  return { template: o.template, ...(o.unique_key !== undefined ? { unique_key: o.unique_key } : {}) };
}
