/**
 * The storage contract's part for templates and their schedules (contract.ts states the rules every store keeps).
 */
import type { JobStatus } from '../types.js';

/** A template's lifecycle: a disabled one refuses runs and its schedule does not fire; archived is disabled and hidden. */
export type TemplateStatus = 'enabled' | 'disabled' | 'archived';

/**
 * A template as stored: its current version's definition (the templates feature owns its shape; the store keeps it
 * whole) and its schedule's firing state (templates/schedule/decide.ts: cursor, since, next due time; epoch ms).
 */
export interface StoredTemplate {
  readonly id: string;
  readonly name: string;
  readonly status: TemplateStatus;
  readonly version: number;
  readonly definition: Readonly<Record<string, unknown>>;
  readonly created_at: number;
  readonly updated_at: number;
  readonly schedule_state: ScheduleFiringState;
}

export interface ScheduleFiringState {
  readonly cursor: number | null;
  readonly since: number | null;
  /** When the scheduler looks at it again; null: no schedule, suspended, finished or disabled. */
  readonly next_due_at: number | null;
}

export interface TemplateVersion {
  readonly version: number;
  readonly definition: Readonly<Record<string, unknown>>;
  readonly created_at: number;
}

/** A slot a schedule did not start, as its history shows it. */
export interface ScheduleEvent {
  readonly slot: number;
  readonly kind: 'skipped' | 'missed';
  readonly reason: string;
  /** Slots this entry stands for (a long downtime's missed slots beyond the listed ones are one entry). */
  readonly count: number;
  readonly at: number;
}

/** Statistics of a template's runs (top-level jobs carrying its id), computed from the job records at read time. */
export interface RunStats {
  readonly runs: number;
  readonly completed: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly lost: number;
  /** Queued or running now. */
  readonly active: number;
  /** completed / (completed + failed + lost), null before any ended that way. */
  readonly success_rate: number | null;
  /** Over the newest `DURATION_SAMPLE` runs that completed or failed. */
  readonly p50_ms: number | null;
  readonly p95_ms: number | null;
  readonly last_run: { readonly job_id: string; readonly status: JobStatus; readonly created_at: number } | null;
  readonly last_failure: {
    readonly job_id: string;
    readonly status: JobStatus;
    readonly finished_at: number | null;
    readonly error: unknown;
  } | null;
}

/**
 * Templates, their versions and their schedules' firing state, shared by every instance. A definition change is a
 * new immutable version written in the same transaction as the template's row; runs keep the version they started
 * with. Exactly-once firing does not rest on this store alone: a scheduled run's job carries the slot's unique key
 * (JobStore.create refuses a second one), and `advanceSchedule` only ever moves the cursor forward.
 */
export interface TemplateStore {
  /** Creates a template at version 1; `template_exists` when the name is taken. */
  create(t: StoredTemplate): Promise<StoredTemplate>;
  get(name: string): Promise<StoredTemplate | undefined>;
  getById(id: string): Promise<StoredTemplate | undefined>;
  /** By name; `status` narrows; archived ones only when asked by status. */
  list(filter: {
    readonly status?: TemplateStatus;
    readonly limit: number;
    readonly after?: string;
  }): Promise<StoredTemplate[]>;
  /**
   * Applies a pure change under a row lock. When the change raises `version` (by exactly one), the new definition is
   * written as that version in the same transaction. Answers the template after the call (undefined: none).
   */
  update(name: string, change: (t: StoredTemplate) => StoredTemplate | undefined): Promise<StoredTemplate | undefined>;
  /** Versions newest first. */
  versions(id: string, limit: number): Promise<TemplateVersion[]>;
  version(id: string, version: number): Promise<TemplateVersion | undefined>;
  /** Removes the template, its versions and its schedule's events; its runs stay (they name its id). */
  delete(name: string): Promise<StoredTemplate | undefined>;
  /** Enabled templates whose schedule is due at `now` (next_due_at ≤ now), most overdue first. */
  due(now: number, limit: number): Promise<StoredTemplate[]>;
  /** Moves the firing state on: cursor = max(stored, given); next_due_at as given. */
  advanceSchedule(
    id: string,
    state: { readonly cursor: number | null; readonly next_due_at: number | null },
  ): Promise<void>;
  /** Records slots not started; an event already recorded for the same slot and kind is left as it is. */
  recordScheduleEvents(id: string, events: readonly ScheduleEvent[]): Promise<void>;
  scheduleEvents(id: string, limit: number): Promise<ScheduleEvent[]>;
  /** Statistics per template id (a template without runs has zero counts); `version` narrows to one version. */
  runStats(ids: readonly string[], version?: number): Promise<Map<string, RunStats>>;
  /** Whether a job with this unique key exists (a schedule's slot already started). */
  slotTaken(key: string): Promise<boolean>;
  /** Ids of the template's runs still queued or running. */
  activeRuns(id: string): Promise<string[]>;
  /**
   * History limits: the newest `successful` completed runs and the newest `failed` failed or lost runs (and their
   * batch children) keep their logs and records beyond the global retention; every other run of the template loses
   * that protection.
   */
  keepHistory(id: string, limits: { readonly successful: number; readonly failed: number }): Promise<void>;
}
