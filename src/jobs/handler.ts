import type { JobFilesView } from './files.js';
import type { LogWriter } from './store/contract.js';
import type { Job, JobError, JobProgress } from './types.js';

/** Why a job's signal was aborted: the handler decides what each means for the work it runs. */
export type StopReason = 'cancel' | 'timeout' | 'shutdown';

export interface JobContext {
  readonly job: Job;
  /** True when this run resumes a job that another run (a stopped process, another instance) left running. */
  readonly recovering: boolean;
  readonly signal: AbortSignal;
  stopReason(): StopReason | undefined;
  /**
   * The job's log. `flush()` makes what was added durable (rejecting with store_unavailable when it could not: the
   * writer then goes back to `durableOffsets`, where a follower resumes).
   */
  readonly log: LogWriter;
  /** The job's secret inputs and launch marks. */
  readonly files: JobFilesView;
  /** Adds a system line to the log and has it flushed soon (in order with other notes). */
  note(text: string): void;
  progress(p: JobProgress): void;
  setRuntime(r: Record<string, unknown>): Promise<void>;
}

type Outcome =
  | { kind: 'exit'; exit_code: number; result?: unknown }
  | { kind: 'completed'; result?: unknown }
  | { kind: 'failed'; error: JobError; exit_code?: number | null; result?: unknown }
  | { kind: 'cancelled'; message: string; exit_code?: number | null; result?: unknown }
  | { kind: 'timeout'; message: string; exit_code?: number | null; result?: unknown }
  | { kind: 'lost'; message: string }
  /** The work provably never started: put the job back in the queue. */
  | { kind: 'requeue'; message: string }
  /** This process is stopping: leave the job running for the next owner to reattach. */
  | { kind: 'abandon' };

/** `cleanup` runs only after the outcome is persisted (e.g. removing the remote job directory). */
export type HandlerOutcome = Outcome & { cleanup?: () => Promise<void> };

export interface JobHandler {
  run(ctx: JobContext): Promise<HandlerOutcome>;
}
