import { DeckhandError } from '../../errors.js';
import type { HandlerOutcome, JobContext } from '../handler.js';
import { errorCode, errorText } from './errors.js';

/** ok: already as wanted; changed: this run made it so; would-change: what a dry run found to do. */
export type StepStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'would-change';

export interface StepReport {
  name: string;
  status: StepStatus;
  detail: string;
  duration_ms: number;
}

export interface StepOutcome<T = undefined> {
  status: Exclude<StepStatus, 'failed'>;
  detail: string;
  value?: T;
}

/** Thrown out of a job once a step failed; carries the step so the outcome names it. */
export class StepFailedError extends DeckhandError {
  constructor(
    readonly step: string,
    readonly index: number,
    readonly total: number,
    cause: unknown,
  ) {
    super(errorCode(cause), `Step "${step}" (${index}/${total}) failed: ${errorText(cause)}`, { cause });
    this.name = 'StepFailedError';
  }
}

/**
 * Runs a job's named steps in order, reporting each as job progress and in the log, and collecting the
 * reports that end up in the job's result (also when it fails).
 */
export class StepTracker {
  readonly reports: StepReport[] = [];

  constructor(
    private readonly ctx: JobContext,
    readonly names: readonly string[],
  ) {}

  async run<T>(name: string, fn: () => Promise<StepOutcome<T>>): Promise<T | undefined> {
    const index = this.names.indexOf(name) + 1;
    const total = this.names.length;
    this.ctx.progress({
      step: name,
      steps_total: total,
      percent: Math.round(((index - 1) / total) * 100),
      message: `step ${index}/${total}: ${name}`,
    });
    this.ctx.note(`[${index}/${total}] ${name}: started`);
    const started = Date.now();
    try {
      const out = await fn();
      this.record(name, out.status, out.detail, started);
      return out.value;
    } catch (err) {
      const stopped = this.ctx.signal.aborted;
      this.record(name, 'failed', stopped ? `stopped (${String(this.ctx.stopReason())})` : errorText(err), started);
      if (stopped) throw err;
      throw new StepFailedError(name, index, total, err);
    }
  }

  skip(name: string, detail: string): void {
    this.record(name, 'skipped', detail, Date.now());
  }

  private record(name: string, status: StepStatus, detail: string, started: number): void {
    const duration_ms = Date.now() - started;
    this.reports.push({ name, status, detail, duration_ms });
    this.ctx.note(
      `[${this.names.indexOf(name) + 1}/${this.names.length}] ${name}: ${status}${detail ? ` — ${detail}` : ''} (${duration_ms} ms)`,
    );
  }

  done(message: string): void {
    this.ctx.progress({ percent: 100, step: 'done', steps_total: this.names.length, message });
  }
}

/** The outcome of a job whose steps threw: failed at the named step, or cancelled / timed out / abandoned. */
export function stepsOutcome(ctx: JobContext, err: unknown, result: Record<string, unknown>): HandlerOutcome {
  const reason = ctx.stopReason();
  if (reason === 'shutdown') return { kind: 'abandon' };
  if (reason === 'cancel') return { kind: 'cancelled', message: 'Cancelled; steps already done stay done.', result };
  if (reason === 'timeout') return { kind: 'timeout', message: 'Reached its time limit.', result };
  if (err instanceof StepFailedError) {
    return {
      kind: 'failed',
      error: { code: err.code, message: err.message },
      result: { ...result, failed_step: err.step },
    };
  }
  return { kind: 'failed', error: { code: errorCode(err), message: errorText(err) }, result };
}
