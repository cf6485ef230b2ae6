import type { StoredTemplate } from '../jobs/store/contract.js';
import type { TemplateDefinition } from './definition.js';
import {
  compileSchedule,
  nextSlots,
  scheduleView,
  type CompiledSchedule,
  type ScheduleView,
} from './schedule/index.js';

interface Entry {
  readonly version: number;
  readonly compiled: CompiledSchedule;
  view: ScheduleView;
  /** The view stays right until the first of its next runs passes (or a minute, whichever first). */
  validUntil: number;
}

/**
 * What lists show of each schedule (words and next runs), kept per template version until its first next run
 * passes: a page of templates then costs no cron arithmetic, which is most of a list's time otherwise.
 */
export class ScheduleViews {
  private readonly entries = new Map<string, Entry>();

  get(t: StoredTemplate, now: number): ScheduleView | null {
    const def = t.definition as unknown as TemplateDefinition;
    if (def.schedule === null) return null;
    let e = this.entries.get(t.id);
    if (!e || e.version !== t.version) {
      const compiled = compileSchedule(def.schedule);
      e = { version: t.version, compiled, view: scheduleView(compiled, new Date(now)), validUntil: 0 };
      e.validUntil = this.until(compiled, now);
      if (this.entries.size > 10_000) this.entries.clear();
      this.entries.set(t.id, e);
    } else if (now >= e.validUntil || now < e.validUntil - 61_000) {
      e.view = scheduleView(e.compiled, new Date(now));
      e.validUntil = this.until(e.compiled, now);
    }
    // Pausing is not a new version: the flag comes from the record as it is now.
    return e.view.suspended === def.schedule.suspend ? e.view : { ...e.view, suspended: def.schedule.suspend };
  }

  private until(compiled: CompiledSchedule, now: number): number {
    const next = nextSlots(compiled, new Date(now), 1)[0];
    return Math.min(next ? next.getTime() : Infinity, now + 60_000);
  }
}
