import type { JobService } from '../jobs/index.js';
import type { Job, JobStatus, PoolStatus } from '../jobs/index.js';
import type { AuditEntry, LoginEvent } from '../audit/index.js';
import type { ApprovalView } from '../safety/index.js';
import type { ServerService } from '../servers/index.js';
import type { TemplateDetail as ServiceTemplateDetail } from '../templates/index.js';

type TemplateStats = ServiceTemplateDetail['stats'];

/**
 * Everything the dashboard reads and does, as services (never a store). Calls are always awaited, so a service
 * whose methods become async needs no change here. The optional members are seams for data that does not exist
 * yet in this version; a page whose source is missing says so instead of showing nothing.
 */
export interface DashboardSources {
  readonly jobs: DashboardJobs;
  readonly servers: Pick<ServerService, 'list'>;
  readonly stats: JobStats;
  readonly actions: JobActions;
  /** This instance's limits, shown as its slots until the pool view exists. */
  readonly limits: { readonly maxJobs: number; readonly maxPerServer: number };
  /** Instances sharing the job system and their slots (the overview's table and the pool page). */
  readonly pool?: PoolSource | undefined;
  /** Fan-out jobs with their per-server children (remote-bash's batch view). */
  readonly batches?: BatchSource | undefined;
  /** Templates and their schedules (the schedules page is drawn from the same source). */
  readonly templates?: TemplateSource | undefined;
  /** Actions waiting for a person's approval (safety), decided from the approvals page. */
  readonly approvals?: ApprovalSource | undefined;
  /** The audit log: the newest entries, the chain's verification, dashboard logins. */
  readonly audit?: AuditSource | undefined;
  /** Whether each server answers now, from a cached background probe: a page load never opens SSH connections. */
  readonly reachability?: ((server: string) => Promise<Reachability>) | undefined;
}

/** The job service methods the pages use. */
export type DashboardJobs = Pick<JobService, 'get' | 'status' | 'list' | 'requestCancel' | 'executorAlive'>;

export interface JobStats {
  /** Jobs per state; `capped` when a count stopped at its limit (shown as "1000+"). */
  countByStatus(): Promise<{ counts: Record<JobStatus, number>; capped: Partial<Record<JobStatus, boolean>> }>;
}

export interface JobActions {
  /**
   * Asks for a cancel and answers at once (the executing process stops the job; the page follows it live). With
   * `by`, the cancel is recorded in the audit log in that person's name, as cancel-job records an assistant's.
   */
  cancel(id: string, by?: DashboardActor): Promise<Job>;
  /**
   * A new job with the same type, server and parameters (secrets re-read from where they live), through the safety
   * gate as `by`. `confirmed`: the person confirmed on the page what policy wants approved.
   */
  runAgain?: ((id: string, by: DashboardActor, confirmed: boolean) => Promise<GatedOutcome>) | undefined;
  /** A failed job again, linked to it (a batch: its failed servers only). */
  retry?: ((id: string, by: DashboardActor, confirmed: boolean) => Promise<GatedOutcome>) | undefined;
}

/** A server's last probe: when it was made and what it found. */
export interface Reachability {
  readonly state: 'reachable' | 'unreachable' | 'unknown';
  readonly checked_at?: string | undefined;
  /** Why it did not answer. */
  readonly error?: string | undefined;
}

/** One deckhand instance of the pool. */
export interface InstanceView {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly version: string;
  readonly alive: boolean;
  readonly slots_used: number;
  readonly slots_total: number;
  readonly heartbeat_at: string;
}

export interface PoolSource {
  instances(): Promise<InstanceView[]>;
  /** The whole pool: instances, per-server counts, the queue, jobs waiting to be taken over. */
  status(): Promise<PoolStatus>;
}

export interface BatchChildView {
  readonly server: string;
  readonly job_id: string;
  readonly status: JobStatus;
  readonly exit_code: number | null;
  readonly duration_ms: number | null;
  readonly error?: { readonly code: string; readonly message: string } | undefined;
}

export interface BatchSummary {
  /** The parent job's id. */
  readonly id: string;
  readonly title: string;
  readonly status: JobStatus;
  readonly created_at: string;
  readonly counts: Partial<Record<JobStatus, number>>;
  readonly total: number;
}

/** Servers whose command ended the same way with the same output: listed once, their names folded. */
export interface BatchGroupView {
  /** Folded names ("web-1..web-12, db"). */
  readonly servers: string;
  readonly count: number;
  readonly status: JobStatus;
  readonly exit_code: number | null;
  readonly error_code?: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

export interface BatchDetail extends BatchSummary {
  /** A page of servers, failures first. */
  readonly children: readonly BatchChildView[];
  /** Identical outputs of this page's servers grouped. */
  readonly groups: readonly BatchGroupView[];
  /** Where this page of servers starts, and where the next one does (undefined on the last). */
  readonly cursor?: number | undefined;
  readonly next_cursor?: number | undefined;
  /** The batch this one repeats (run again / retry), when it does. */
  readonly rerun_of?: string | undefined;
}

export interface BatchSource {
  list(limit: number, cursor?: string): Promise<{ batches: BatchSummary[]; next_cursor: string | null }>;
  /**
   * A batch with a page of its servers from `cursor`; with `wait_s`, once a child changed state or the batch ended
   * (the live page follows it so). Undefined when the job is not a batch.
   */
  get(
    id: string,
    opts?: { readonly cursor?: number; readonly wait_s?: number; readonly signal?: AbortSignal },
  ): Promise<BatchDetail | undefined>;
}

export interface ScheduleView {
  readonly expression: string;
  readonly in_words: string;
  readonly tz: string;
  readonly paused: boolean;
  readonly next_runs: readonly string[];
  /** How overlapping, late and missed slots are handled, in short ("concurrency Forbid, catch-up latest"). */
  readonly policy?: string | undefined;
}

export interface TemplateSummary {
  /** What the template's pages are addressed by (its name). */
  readonly id: string;
  readonly name: string;
  readonly description?: string | undefined;
  /** enabled or disabled. */
  readonly status?: string | undefined;
  readonly version?: number | undefined;
  readonly schedule?: ScheduleView | undefined;
  readonly last_run?: { readonly job_id: string; readonly status: JobStatus; readonly at: string } | undefined;
  /** Runs in the history kept. */
  readonly runs?: number | undefined;
  /** 0..1 over the history kept; null without runs. */
  readonly success_rate: number | null;
  readonly p50_ms: number | null;
  readonly p95_ms: number | null;
}

/** A template's run statistics as its page counts them (the last run and failure are shown apart). */
export type TemplateRunCounts = Omit<TemplateStats, 'last_run' | 'last_failure'>;

export interface TemplateDetail extends TemplateSummary {
  readonly params: readonly {
    readonly name: string;
    readonly description?: string | undefined;
    readonly required: boolean;
    readonly default?: string | undefined;
    readonly pattern?: string | undefined;
  }[];
  /** What it runs: the command, where, and the names of its env (values are never shown). */
  readonly definition?:
    | {
        readonly command: string;
        readonly target: string;
        readonly env_keys: readonly string[];
        readonly options: readonly string[];
      }
    | undefined;
  readonly stats?: TemplateRunCounts | undefined;
  /** The current version's runs alone. */
  readonly version_stats?: TemplateRunCounts | undefined;
  readonly versions?: readonly { readonly version: number; readonly at: string; readonly changed: readonly string[] }[];
  readonly history: readonly {
    readonly job_id: string;
    readonly status: JobStatus;
    readonly at: string;
    readonly duration_ms: number | null;
    readonly version?: number | null | undefined;
    /** manual, or schedule with its slot. */
    readonly trigger?: string | undefined;
  }[];
  /** Slots that did not run (skipped: a run was active; missed: late, caught up, or refused by policy). */
  readonly events?: readonly {
    readonly slot: string;
    readonly kind: string;
    readonly reason: string;
    readonly count: number;
  }[];
  /** The last slot handled (run, skipped or missed). */
  readonly last_slot?: string | null | undefined;
}

export interface TemplateSource {
  list(): Promise<TemplateSummary[]>;
  get(id: string): Promise<TemplateDetail | undefined>;
  /** The template a job was started from (the jobs list filters on it when templateId is not given). */
  templateOf(job: Job): string | undefined;
  /** The store id of a template by name: the jobs list asks the store for its runs. */
  templateId?: ((name: string) => Promise<string | undefined>) | undefined;
  /**
   * Runs it now with `params` through the safety gate as `by` (`confirmed`: the person confirmed what policy asks),
   * and pauses or resumes its schedule (audited under `by`).
   */
  runNow?:
    | ((id: string, params: Record<string, string>, by: DashboardActor, confirmed: boolean) => Promise<GatedOutcome>)
    | undefined;
  setPaused?: ((id: string, paused: boolean, by: DashboardActor) => Promise<void>) | undefined;
}

/** An approval request as the pages show it (safety's view of it). */
export type { ApprovalView } from '../safety/index.js';

export interface ApprovalSource {
  /** Requests a person can still decide, newest first. */
  pending(): Promise<ApprovalView[]>;
  /** Recently decided or expired requests, for the page's history. */
  recent?(): Promise<ApprovalView[]>;
  /** `by` is the person logged in to the dashboard; `minutes` also grants the same steps for that long. */
  approve(id: string, o: { readonly by: string; readonly minutes?: number | undefined }): Promise<ApprovalView>;
  deny(id: string, by: string): Promise<ApprovalView>;
}

/** The person using the dashboard, as approvals and the audit log name them. */
export interface DashboardActor {
  /** "dashboard:alice@127.0.0.1". */
  readonly person: string;
  /** The name of the token they logged in with. */
  readonly token: string;
}

/** How an action that goes through the safety gate ended: a new job, or a refusal that says why. */
export type GatedOutcome =
  | { readonly kind: 'started'; readonly job: Job }
  | {
      readonly kind: 'refused';
      readonly code: string;
      readonly message: string;
      readonly hint: string;
      /** Set when a person may approve it (policy "ask"): the form confirms and runs it. */
      readonly approval?: ApprovalView | undefined;
    };

export interface AuditVerification {
  readonly ok: boolean;
  /** Entries walked. */
  readonly count: number;
  readonly head_seq: number;
  /** What is wrong, naming the entry: only when !ok. */
  readonly problem?: string | undefined;
  readonly checked_at: string;
  readonly took_ms: number;
}

export interface AuditSource {
  /** The newest entries before `before` (a seq; absent: the newest of all), newest first. */
  recent(o: { readonly before?: number | undefined; readonly limit: number }): Promise<{
    entries: AuditEntry[];
    /** Pass as `before` for the next, older page; null when none is older. */
    older: number | null;
  }>;
  /** The whole chain verified (kept a minute, so page loads do not each walk it; `fresh` walks it now). */
  verify(o: { readonly fresh: boolean }): Promise<AuditVerification>;
  /** Records a login to the dashboard, or a refused one. */
  login(e: LoginEvent): Promise<unknown>;
}
