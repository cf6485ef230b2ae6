import { DeckhandError } from '../errors.js';
import type { ScheduleEvent, StoredTemplate, TemplateStore } from '../jobs/store/contract.js';
import type { TemplateDefinition } from './definition.js';
import { compileSchedule, decide, type CompiledSchedule, type ScheduleDecision } from './schedule/index.js';
import type { TemplateService } from './service.js';
import { definitionOf } from './views.js';

/**
 * Policy on a scheduled run, with nobody there to ask: `start` is called (with the job id the gate made) only when
 * the run may go; a refusal records the slot as missed with its reason.
 */
export type ScheduleGate = (
  t: StoredTemplate,
  def: TemplateDefinition,
  start: (jobId: string | undefined) => Promise<unknown>,
) => Promise<{ readonly ok: true } | { readonly ok: false; readonly reason: string }>;

export interface ScheduleLoopOptions {
  readonly store: TemplateStore;
  readonly service: Pick<TemplateService, 'runSlot'>;
  readonly cancel: (jobId: string) => Promise<unknown>;
  readonly gate?: ScheduleGate | undefined;
  readonly now?: () => number;
  /** How often due schedules are looked for (default 1 s: a slot starts within about a second of its time). */
  readonly tickMs?: number;
  /**
   * How early a slot's run is made (default 5 s): it waits, queued, until the slot's time, so runs of schedules due
   * in the same second exist before it however many there are. Pausing or retiming a schedule cancels them.
   */
  readonly aheadMs?: number;
  readonly onError: (err: unknown, context: string) => void;
  /** Told of every decision applied (tests, logs). */
  readonly onFired?: (t: StoredTemplate, d: ScheduleDecision) => void;
}

const BATCH = 100;
const DEFAULT_AHEAD_MS = 5000;
/** Templates fired at the same time within a batch. */
const TOGETHER = 25;

/**
 * Fires templates' schedules, on every instance at once: each tick reads the schedules due now (an indexed query),
 * decides each (schedule/decide.ts) and applies the decision. Exactly once per slot whatever the number of
 * instances: a slot's run carries the key "template id @ slot" that the job store admits once, so an instance that
 * loses the race gets `duplicate_job` and moves on; the cursor only ever moves forward.
 */
export class ScheduleLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private readonly compiled = new Map<string, { version: number; schedule: CompiledSchedule }>();
  private readonly now: () => number;
  private readonly ahead: number;

  constructor(private readonly o: ScheduleLoopOptions) {
    this.now = o.now ?? Date.now;
    this.ahead = o.aheadMs ?? DEFAULT_AHEAD_MS;
  }

  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.tick(), this.o.tickMs ?? 1000);
    this.timer.unref();
  }

  /** One pass over the due schedules (the timer calls it; tests call it with their own clock). */
  tick(): Promise<void> {
    // One pass at a time: a slow store must not pile ticks up.
    if (!this.running) {
      this.running = this.pass()
        .catch((err) => this.o.onError(err, 'schedule tick'))
        .finally(() => {
          this.running = undefined;
        });
    }
    return this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async pass(): Promise<void> {
    for (;;) {
      const now = this.now();
      const due = await this.o.store.due(now + this.ahead, BATCH);
      // Several templates at once, each on its own: their writes share commits (the SQLite store's group commit;
      // PostgreSQL's connections), so a thousand schedules due in one second start within it.
      for (let i = 0; i < due.length; i += TOGETHER) {
        if (this.closed) return;
        await Promise.all(
          due
            .slice(i, i + TOGETHER)
            .map((t) =>
              this.fire(t, now).catch((err: unknown) => this.o.onError(err, `schedule of template ${t.name}`)),
            ),
        );
        // Many schedules catching up at once: let the event loop breathe between them.
        await new Promise<void>((r) => setImmediate(r));
      }
      if (due.length < BATCH || this.closed) return;
    }
  }

  private async fire(t: StoredTemplate, now: number): Promise<void> {
    const def = definitionOf(t);
    if (def.schedule === null)
      return this.o.store.advanceSchedule(t.id, { cursor: t.schedule_state.cursor, next_due_at: null });
    const schedule = this.compile(t, def);
    const active = await this.o.store.activeRuns(t.id);
    const d = decide({
      scheduleId: t.id,
      schedule,
      state: {
        cursor: t.schedule_state.cursor === null ? null : new Date(t.schedule_state.cursor),
        since: new Date(t.schedule_state.since ?? t.created_at),
      },
      now: new Date(now),
      activeRun: active.length > 0,
      graceMs: Math.max(60_000, (this.o.tickMs ?? 1000) * 5),
      aheadMs: this.ahead,
    });
    const events: ScheduleEvent[] = [];
    for (const s of d.skipped)
      events.push({
        slot: s.slot.getTime(),
        kind: 'skipped',
        reason: 'a run was still active (concurrency_policy Forbid)',
        count: 1,
        at: now,
      });
    if (d.missed) {
      for (const m of d.missed.slots)
        events.push({ slot: m.slot.getTime(), kind: 'missed', reason: missedReason(m.reason), count: 1, at: now });
      if (d.missed.slots.length === 0)
        // Over 100: one entry stands for them all, at the newest missed slot.
        events.push({
          slot: d.missed.last.getTime(),
          kind: 'missed',
          reason: `${d.missed.exact ? '' : 'about '}${d.missed.count} slots from ${d.missed.first.toISOString()} passed while deckhand was not running`,
          count: d.missed.count,
          at: now,
        });
    }
    for (const run of d.fire) {
      // Usually another instance was first; asking policy (and auditing) for a run that will not happen is noise.
      if (await this.o.store.slotTaken(run.key)) continue;
      const start = async (jobId: string | undefined) => {
        if (run.replaceActive) for (const id of active) await this.o.cancel(id);
        return this.o.service.runSlot(t, { key: run.key, startAt: run.startAt.getTime() }, jobId);
      };
      try {
        const gate = this.o.gate ? await this.o.gate(t, def, start) : (await start(undefined), { ok: true as const });
        if (!gate.ok)
          events.push({
            slot: run.slot.getTime(),
            kind: 'missed',
            reason: `refused by policy: ${gate.reason}`,
            count: 1,
            at: now,
          });
      } catch (err) {
        // Another instance (or this one before a restart) already started the slot: that is the point of the key.
        if (err instanceof DeckhandError && err.code === 'duplicate_job') continue;
        const message = err instanceof Error ? err.message : String(err);
        events.push({
          slot: run.slot.getTime(),
          kind: 'missed',
          reason: `could not start: ${message}`,
          count: 1,
          at: now,
        });
      }
    }
    await this.o.store.recordScheduleEvents(t.id, events);
    // Looked at early (a run still active under Forbid waits for the slot's time): nothing to store yet.
    if (!d.advanced && (d.nextDueAt?.getTime() ?? null) === t.schedule_state.next_due_at) return;
    await this.o.store.advanceSchedule(t.id, {
      cursor: d.cursor === null ? null : d.cursor.getTime(),
      next_due_at: d.nextDueAt === null ? null : d.nextDueAt.getTime(),
    });
    this.o.onFired?.(t, d);
  }

  private compile(t: StoredTemplate, def: TemplateDefinition): CompiledSchedule {
    const hit = this.compiled.get(t.id);
    if (hit && hit.version === t.version) return hit.schedule;
    const schedule = compileSchedule(def.schedule as NonNullable<TemplateDefinition['schedule']>);
    this.compiled.set(t.id, { version: t.version, schedule });
    return schedule;
  }
}

function missedReason(r: string): string {
  return r === 'deadline'
    ? 'not started within starting_deadline_s'
    : r === 'catch_up'
      ? 'passed while deckhand was not running (catch_up policy)'
      : r;
}
