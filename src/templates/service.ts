import { ulid } from 'ulid';
import { DeckhandError } from '../errors.js';
import { isTerminal, type Job } from '../jobs/types.js';
import type {
  JobPage,
  RunStats,
  ScheduleEvent,
  SecretStore,
  StoredTemplate,
  TemplateStatus,
  TemplateStore,
} from '../jobs/store/contract.js';
import { buildDefinition, type SaveInput } from './build.js';
import type { RemoteBashService } from '../remote-bash/index.js';
import { ScheduleViews } from './schedule-views.js';
import {
  definitionOf,
  diffLines,
  runRow,
  unsuspended,
  versionRows,
  view,
  type RunRow,
  type TemplateView,
} from './views.js';
import { changedFields, checkTemplateName, timingOf } from './definition.js';
import { nextDue, parseScheduleRunKey } from './schedule/index.js';
import { runSpec, type RunInput, type RunOrigin } from './run-spec.js';

export type { SaveInput } from './build.js';

export interface SaveResult {
  readonly template: TemplateView;
  readonly created: boolean;
  /** Fields of the definition that changed (empty: nothing to save, no new version). */
  readonly changed: readonly string[];
  readonly dry_run: boolean;
  /** Before → after of each changed field, in short. */
  readonly diff: readonly string[];
}

export type { RunInput } from './run-spec.js';

/** A schedule's slot being started. */
export interface SlotStart {
  readonly key: string;
  readonly startAt: number;
}

export interface TemplateDetail {
  readonly template: TemplateView;
  readonly stats: RunStats;
  /** Statistics of the current version alone. */
  readonly version_stats: RunStats;
  readonly versions: readonly { readonly version: number; readonly created_at: string; readonly changed: string[] }[];
  readonly recent_runs: readonly RunRow[];
  readonly schedule_events: readonly ScheduleEvent[];
  readonly last_slot: string | null;
}

export interface TemplateServiceOptions {
  readonly store: TemplateStore;
  readonly secrets: SecretStore;
  readonly runner: Pick<RemoteBashService, 'start' | 'targetNames'>;
  readonly jobs: {
    list(filter: { template_id?: string; top_level?: boolean }, limit: number, cursor?: string): Promise<JobPage>;
    cancel(id: string): Promise<unknown>;
  };
  readonly now?: () => number;
}

/**
 * Templates: definitions kept with immutable versions, run on demand or by their schedule, with statistics read
 * from their runs. A run is an ordinary remote-bash job (or batch) that carries the template's id and version.
 */
export class TemplateService {
  private readonly now: () => number;
  private readonly views = new ScheduleViews();

  constructor(private readonly o: TemplateServiceOptions) {
    this.now = o.now ?? Date.now;
  }

  async save(input: SaveInput): Promise<SaveResult> {
    checkTemplateName(input.name);
    const now = this.now();
    const current = await this.o.store.get(input.name);
    if (input.if_version !== undefined && (current?.version ?? 0) !== input.if_version) {
      throw new DeckhandError(
        'template_changed',
        `Template "${input.name}" is at version ${current?.version ?? 'none (it does not exist)'}, not ${input.if_version}.`,
        { hint: 'Read it again (list-templates with name), then save your change on top of the current version.' },
      );
    }
    const before = current ? definitionOf(current) : undefined;
    const def = await buildDefinition(input, before, now, (target) => this.o.runner.targetNames(target));
    // Pausing and resuming is state, not a new definition: it makes no version (statistics per version go on).
    const versioned = changedFields(before && unsuspended(before), unsuspended(def));
    const paused = before?.schedule && def.schedule && before.schedule.suspend !== def.schedule.suspend;
    const changed = paused ? [...versioned, 'schedule.suspend'] : versioned;
    const envChanged = input.env !== undefined;
    const bump = !before || versioned.length > 0 || envChanged;
    const status = input.status ?? current?.status ?? 'enabled';
    const diff = diffLines(before, def, changed);
    // New env values under the same names change no field of the definition, yet make a new version: say so.
    if (before && envChanged && !changed.includes('env_keys')) {
      changed.push('env');
      diff.push('env: values replaced (kept secret)');
    }
    const id = current?.id ?? `tpl_${ulid(now)}`;
    const version = current ? current.version + (bump ? 1 : 0) : 1;
    const state = current
      ? timingOf(before?.schedule ?? null) === timingOf(def.schedule)
        ? current.schedule_state
        : { cursor: null, since: now, next_due_at: null }
      : { cursor: null, since: now, next_due_at: null };
    const next: StoredTemplate = {
      id,
      name: input.name,
      status,
      version,
      definition: def as unknown as Record<string, unknown>,
      created_at: current?.created_at ?? now,
      updated_at: changed.length > 0 || envChanged || status !== current?.status ? now : (current?.updated_at ?? now),
      // A template that is not enabled has no slot to look at until it is again.
      schedule_state: { ...state, next_due_at: nextDue(id, status === 'enabled' ? def.schedule : null, state, now) },
    };
    if (input.dry_run) {
      return { template: view(next, now), created: !current, changed, dry_run: true, diff };
    }
    if (envChanged && input.env !== null && input.env !== undefined && Object.keys(input.env).length > 0)
      await this.o.secrets.put(envKey(id, version), JSON.stringify(input.env));
    else if (bump && current && !envChanged) await this.copyEnv(id, current.version, version);
    let saved: StoredTemplate | undefined;
    if (!current) saved = await this.o.store.create(next);
    else {
      saved = await this.o.store.update(input.name, (t) => {
        if (t.version !== current.version) {
          throw new DeckhandError('template_changed', `Template "${input.name}" changed while this save was made.`, {
            hint: 'Read it again and save your change on top of the current version.',
          });
        }
        return next;
      });
      if (!saved) throw unknownTemplate(input.name);
      // The schedule stopped (paused, removed, retimed, disabled): runs it made ahead of their slot do not start.
      if (status !== 'enabled' || !def.schedule || def.schedule.suspend || saved.schedule_state.cursor === null)
        await this.cancelAhead(saved.id);
    }
    return { template: view(saved, now), created: !current, changed, dry_run: false, diff };
  }

  async get(name: string): Promise<StoredTemplate> {
    const t = await this.o.store.get(name);
    if (!t) throw unknownTemplate(name);
    return t;
  }

  async detail(name: string, o: { runs?: number } = {}): Promise<TemplateDetail> {
    const t = await this.get(name);
    const now = this.now();
    const [all, current, versions, page, events] = await Promise.all([
      this.o.store.runStats([t.id]),
      this.o.store.runStats([t.id], t.version),
      this.o.store.versions(t.id, 10),
      this.o.jobs.list({ template_id: t.id, top_level: true }, o.runs ?? 10),
      this.o.store.scheduleEvents(t.id, 10),
    ]);
    return {
      template: view(t, now),
      stats: all.get(t.id) as RunStats,
      version_stats: current.get(t.id) as RunStats,
      versions: versionRows(versions),
      recent_runs: page.jobs.map(runRow),
      schedule_events: events,
      last_slot: t.schedule_state.cursor === null ? null : new Date(t.schedule_state.cursor).toISOString(),
    };
  }

  async list(o: {
    status?: TemplateStatus | undefined;
    limit: number;
    cursor?: string | undefined;
  }): Promise<{ templates: { template: TemplateView; stats: RunStats }[]; next_cursor: string | null }> {
    const rows = await this.o.store.list({ status: o.status, limit: o.limit + 1, after: o.cursor });
    const page = rows.slice(0, o.limit);
    const stats = await this.o.store.runStats(page.map((t) => t.id));
    const now = this.now();
    return {
      templates: page.map((t) => ({ template: view(t, now, this.views), stats: stats.get(t.id) as RunStats })),
      next_cursor: rows.length > o.limit ? (page[page.length - 1]?.name ?? null) : null,
    };
  }

  /** The template's runs, newest first. */
  async history(name: string, limit: number, cursor?: string): Promise<{ runs: RunRow[]; next_cursor: string | null }> {
    const t = await this.get(name);
    const page = await this.o.jobs.list({ template_id: t.id, top_level: true }, limit, cursor);
    return { runs: page.jobs.map(runRow), next_cursor: page.next_cursor };
  }

  /** A run now (manual): refused while the template is not enabled. */
  async run(name: string, input: RunInput = {}): Promise<Job> {
    const t = await this.get(name);
    if (t.status !== 'enabled') {
      throw new DeckhandError('template_disabled', `Template "${name}" is ${t.status}: it does not run.`, {
        hint: `Enable it with save-template {"name": "${name}", "status": "enabled"} first.`,
      });
    }
    return this.start(t, input, { trigger: 'manual' });
  }

  /** A schedule's slot: the run carries the slot's key, so a slot already started fails with `duplicate_job`. */
  runSlot(t: StoredTemplate, slot: SlotStart, id?: string): Promise<Job> {
    return this.start(
      t,
      { queue: slot.startAt > this.now() ? { not_before: slot.startAt } : undefined, mode: 'background', id },
      { trigger: 'schedule', key: slot.key },
    );
  }

  /** Pauses or resumes the schedule (a partial save). */
  suspend(name: string, suspend: boolean): Promise<SaveResult> {
    return this.save({ name, schedule: { suspend } });
  }

  async setStatus(name: string, status: TemplateStatus): Promise<SaveResult> {
    return this.save({ name, status });
  }

  /** Removes a template (its runs stay as jobs); with cancel_runs, its queued and running runs are cancelled first. */
  async delete(
    name: string,
    o: { cancel_runs?: boolean } = {},
  ): Promise<{ template: TemplateView; cancelled: string[] }> {
    const t = await this.get(name);
    const cancelled: string[] = [];
    if (o.cancel_runs) {
      for (const id of await this.o.store.activeRuns(t.id)) {
        await this.o.jobs.cancel(id);
        cancelled.push(id);
      }
    }
    const removed = await this.o.store.delete(name);
    if (!removed) throw unknownTemplate(name);
    if (!o.cancel_runs) cancelled.push(...(await this.cancelAhead(t.id)));
    for (const k of await this.o.secrets.keys(`template/${t.id}/`)) await this.o.secrets.delete(k);
    return { template: view(removed, this.now()), cancelled };
  }

  /** After a run ended: its template's history limits move on. */
  async runEnded(job: Job): Promise<void> {
    if (!job.template) return;
    const t = await this.o.store.getById(job.template.id);
    if (!t) return;
    await this.o.store.keepHistory(t.id, definitionOf(t).history);
  }

  private async start(t: StoredTemplate, input: RunInput, origin: RunOrigin) {
    const stored = await this.o.secrets.get(envKey(t.id, t.version));
    const env = stored ? (JSON.parse(stored) as Record<string, string>) : {};
    return this.o.runner.start(runSpec(t, env, input, origin));
  }

  /**
   * The schedule's runs made ahead of their slot (scheduler.ts decides slots a few seconds early) that have not
   * started: cancelled, as if the slot had not come yet. The newest runs are the only ones that can be.
   */
  private async cancelAhead(templateId: string): Promise<string[]> {
    const now = this.now();
    const page = await this.o.jobs.list({ template_id: templateId, top_level: true }, 10);
    // The slot is in the run's key; nothing of a run (a batch's children included) starts before its slot.
    const slotOf = (key: string | null | undefined) => (key ? parseScheduleRunKey(key)?.slot.getTime() : undefined);
    const ahead = page.jobs.filter(
      (j) => !isTerminal(j.status) && j.template?.trigger === 'schedule' && (slotOf(j.unique_key) ?? 0) > now,
    );
    for (const j of ahead) await this.o.jobs.cancel(j.id);
    return ahead.map((j) => j.id);
  }

  private async copyEnv(id: string, from: number, to: number): Promise<void> {
    const v = await this.o.secrets.get(envKey(id, from));
    if (v !== undefined) await this.o.secrets.put(envKey(id, to), v);
  }
}

function envKey(id: string, version: number): string {
  return `template/${id}/v${version}/env`;
}

export function unknownTemplate(name: string): DeckhandError {
  return new DeckhandError('unknown_template', `There is no template named "${name}".`, {
    hint: 'list-templates shows the templates there are; save-template creates one.',
  });
}
