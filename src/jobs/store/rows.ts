import type { Insertable, Selectable } from 'kysely';
import type { NewJobSpec } from './contract.js';
import type { AttemptRecord, Job, JobError, JobProgress, RetryPolicy } from '../types.js';
import type { JobsTable } from './schema.js';

/** How one backend writes and reads JSON columns (SQLite: text; PostgreSQL: jsonb, which pg parses itself). */
export interface JsonCodec {
  write(v: unknown): unknown;
  read(v: unknown): unknown;
}

export type JobRow = Selectable<JobsTable>;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(Number(ms)).toISOString());
const ms = (s: string | null): number | null => (s === null ? null : Date.parse(s));

/** The columns of a record (all but id, rev and updated_at, which the store sets). */
export function jobColumns(job: Job, json: JsonCodec): Omit<Insertable<JobsTable>, 'id' | 'rev' | 'updated_at'> {
  return {
    type: job.type,
    server: job.server,
    params: json.write(job.params),
    status: job.status,
    progress: json.write(job.progress),
    created_at: Date.parse(job.created_at),
    started_at: ms(job.started_at),
    finished_at: ms(job.finished_at),
    attempt: job.attempt,
    exit_code: job.exit_code,
    error: job.error === null ? null : json.write(job.error),
    result: job.result === null || job.result === undefined ? null : json.write(job.result),
    timeout_s: job.timeout_s,
    cancel_requested_at: ms(job.cancel_requested_at),
    runtime: json.write(job.runtime),
    owner_instance: job.owner?.instance ?? null,
    owner_host: job.owner?.host ?? null,
    owner_pid: job.owner?.pid ?? null,
    parent_id: job.parent_id,
    parallel_limit: job.parallel_limit,
    wave: job.wave,
    priority: job.priority,
    not_before: ms(job.not_before),
    unique_key: job.unique_key,
    retry: job.retry === null ? null : json.write(job.retry),
    attempts: job.attempts.length === 0 ? null : json.write(job.attempts),
    active_deadline_s: job.active_deadline_s,
    ttl_after_finished_s: job.ttl_after_finished_s,
    expires_at:
      job.finished_at === null || job.ttl_after_finished_s === null
        ? null
        : Date.parse(job.finished_at) + job.ttl_after_finished_s * 1000,
    template_id: job.template?.id ?? null,
    template_version: job.template?.version ?? null,
    template_trigger: job.template?.trigger ?? null,
  };
}

export function rowToJob(r: JobRow, json: JsonCodec): Job {
  return {
    id: r.id,
    type: r.type,
    server: r.server,
    params: json.read(r.params) as Record<string, unknown>,
    status: r.status,
    progress: json.read(r.progress) as JobProgress,
    created_at: iso(r.created_at) as string,
    started_at: iso(r.started_at),
    finished_at: iso(r.finished_at),
    attempt: r.attempt,
    exit_code: r.exit_code,
    error: r.error === null ? null : (json.read(r.error) as JobError),
    result: r.result === null ? null : json.read(r.result),
    timeout_s: r.timeout_s,
    cancel_requested_at: iso(r.cancel_requested_at),
    runtime: json.read(r.runtime) as Record<string, unknown>,
    owner:
      r.owner_instance === null
        ? null
        : { instance: r.owner_instance, host: r.owner_host ?? '', pid: r.owner_pid ?? 0 },
    parent_id: r.parent_id,
    parallel_limit: r.parallel_limit,
    wave: r.wave,
    priority: r.priority,
    not_before: iso(r.not_before),
    unique_key: r.unique_key,
    retry: r.retry === null || r.retry === undefined ? null : (json.read(r.retry) as RetryPolicy),
    active_deadline_s: r.active_deadline_s ?? null,
    ttl_after_finished_s: r.ttl_after_finished_s ?? null,
    attempts: r.attempts === null || r.attempts === undefined ? [] : (json.read(r.attempts) as AttemptRecord[]),
    template:
      r.template_id === null || r.template_id === undefined
        ? null
        : {
            id: r.template_id,
            version: r.template_version ?? 0,
            trigger: r.template_trigger === 'schedule' ? 'schedule' : 'manual',
          },
  };
}

/** A new record from its spec: queued (or running, for a batch parent), no owner, counters at zero. */
export function jobFromSpec(spec: NewJobSpec, now: number): Job {
  return {
    id: spec.id,
    type: spec.type,
    server: spec.server,
    params: spec.params,
    status: spec.status ?? 'queued',
    progress: {},
    created_at: new Date(now).toISOString(),
    started_at: spec.status === 'running' ? new Date(now).toISOString() : null,
    finished_at: null,
    attempt: 0,
    exit_code: null,
    error: null,
    result: null,
    timeout_s: spec.timeout_s,
    cancel_requested_at: null,
    runtime: spec.runtime ?? {},
    owner: null,
    parent_id: spec.parent_id ?? null,
    parallel_limit: spec.parallel_limit ?? null,
    wave: spec.wave ?? null,
    priority: spec.priority ?? 1,
    not_before:
      spec.not_before === undefined || spec.not_before === null ? null : new Date(spec.not_before).toISOString(),
    unique_key: spec.unique_key ?? null,
    retry: spec.retry ?? null,
    active_deadline_s: spec.active_deadline_s ?? null,
    ttl_after_finished_s: spec.ttl_after_finished_s ?? null,
    attempts: [],
    template: spec.template ?? null,
  };
}
