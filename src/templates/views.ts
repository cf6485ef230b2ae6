import type { StoredTemplate, TemplateStatus, TemplateVersion } from '../jobs/store/contract.js';
import type { Job, JobStatus } from '../jobs/types.js';
import { changedFields, type ParamSpec, type TemplateDefinition, type TemplateTarget } from './definition.js';
import type { ScheduleViews } from './schedule-views.js';
import { scheduleView, type ScheduleSpec, type ScheduleView } from './schedule/index.js';

// How templates and their runs are shown (tools, CLI, dashboard): pure functions of the stored records.

export interface TemplateView {
  readonly id: string;
  readonly name: string;
  readonly status: TemplateStatus;
  readonly version: number;
  readonly description: string;
  readonly command: string;
  readonly target: TemplateTarget;
  readonly params: readonly ParamSpec[];
  readonly env_keys: readonly string[];
  readonly schedule: (ScheduleView & { readonly spec: ScheduleSpec }) | null;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface RunRow {
  readonly job_id: string;
  readonly status: JobStatus;
  readonly version: number | null;
  readonly trigger: string | null;
  readonly slot: string | null;
  readonly created_at: string;
  readonly finished_at: string | null;
  readonly duration_ms: number | null;
  readonly exit_code: number | null;
  readonly error: string | null;
  /** The parameters the run was given (defaults filled in). */
  readonly params: Readonly<Record<string, string>>;
}

/** The definition as versions compare it: whether the schedule is paused is left out. */
export function unsuspended(d: TemplateDefinition): TemplateDefinition {
  return d.schedule === null ? d : { ...d, schedule: { ...d.schedule, suspend: false } };
}

export function definitionOf(t: StoredTemplate): TemplateDefinition {
  return t.definition as unknown as TemplateDefinition;
}

export function view(t: StoredTemplate, now: number, views?: ScheduleViews): TemplateView {
  const def = definitionOf(t);
  const sv = def.schedule === null ? null : (views?.get(t, now) ?? scheduleView(def.schedule, new Date(now)));
  return {
    id: t.id,
    name: t.name,
    status: t.status,
    version: t.version,
    description: def.description,
    command: def.command,
    target: def.target,
    params: def.params,
    env_keys: def.env_keys,
    schedule: def.schedule === null || sv === null ? null : { ...sv, spec: def.schedule },
    created_at: new Date(t.created_at).toISOString(),
    updated_at: new Date(t.updated_at).toISOString(),
  };
}

export function versionRows(versions: readonly TemplateVersion[]) {
  return versions.map((v, i) => {
    const older = versions[i + 1];
    return {
      version: v.version,
      created_at: new Date(v.created_at).toISOString(),
      changed: older
        ? changedFields(
            older.definition as unknown as TemplateDefinition,
            v.definition as unknown as TemplateDefinition,
          )
        : [],
    };
  });
}

export function runRow(j: Job): RunRow {
  const slot = j.unique_key?.includes('@') ? j.unique_key.slice(j.unique_key.lastIndexOf('@') + 1) : null;
  return {
    job_id: j.id,
    status: j.status,
    version: j.template?.version ?? null,
    trigger: j.template?.trigger ?? null,
    slot,
    created_at: j.created_at,
    finished_at: j.finished_at,
    duration_ms:
      j.started_at !== null && j.finished_at !== null ? Date.parse(j.finished_at) - Date.parse(j.started_at) : null,
    exit_code: j.exit_code,
    error: j.error?.message ?? null,
    params: (j.params.template_params as Record<string, string> | undefined) ?? {},
  };
}

export function diffLines(
  before: TemplateDefinition | undefined,
  after: TemplateDefinition,
  changed: string[],
): string[] {
  const short = (v: unknown) => {
    const s = v === undefined ? '(none)' : JSON.stringify(v);
    return s.length > 200 ? `${s.slice(0, 200)}…` : s;
  };
  const rec = (d: TemplateDefinition | undefined, k: string) =>
    k === 'schedule.suspend' ? d?.schedule?.suspend : (d as unknown as Record<string, unknown> | undefined)?.[k];
  return changed.map((k) => `${k}: ${short(rec(before, k))} → ${short(rec(after, k))}`);
}
