import type { Config } from '../config.js';
import type { JobService } from '../jobs/index.js';
import type { Job, JobStatus, PoolStatus } from '../jobs/index.js';
import type { ServerService } from '../servers/index.js';
import { countByStatus } from './stats.js';

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
  /** TODO(lead, batches): fan-out jobs with their per-server children. */
  readonly batches?: BatchSource | undefined;
  /** TODO(lead, templates): templates and their schedules (the schedules page is drawn from the same source). */
  readonly templates?: TemplateSource | undefined;
  /** TODO(lead, policy): actions waiting for a person's approval. */
  readonly approvals?: ApprovalSource | undefined;
  /** TODO(lead): whether each server answers now (a cached probe; a page load must never open SSH connections). */
  readonly reachability?: ((server: string) => Promise<'reachable' | 'unreachable' | 'unknown'>) | undefined;
}

/** The job service methods the pages use. */
export type DashboardJobs = Pick<JobService, 'get' | 'status' | 'list' | 'requestCancel' | 'executorAlive'>;

export interface JobStats {
  /** Jobs per state; `capped` when a count stopped at its limit (shown as "1000+"). */
  countByStatus(): Promise<{ counts: Record<JobStatus, number>; capped: Partial<Record<JobStatus, boolean>> }>;
}

export interface JobActions {
  /** Asks for a cancel and answers at once (the executing process stops the job; the page follows it live). */
  cancel(id: string): Promise<Job>;
  /** TODO(lead): a new job with the same type, server and parameters (secrets re-read from where they live). */
  runAgain?: ((id: string) => Promise<Job>) | undefined;
  /** TODO(lead): a new attempt of a failed job. */
  retry?: ((id: string) => Promise<Job>) | undefined;
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

export interface BatchDetail extends BatchSummary {
  readonly children: readonly BatchChildView[];
  /** Identical outputs grouped: one output, the servers that printed it. */
  readonly groups: readonly { readonly output: string; readonly servers: readonly string[] }[];
}

export interface BatchSource {
  list(limit: number, cursor?: string): Promise<{ batches: BatchSummary[]; next_cursor: string | null }>;
  get(id: string): Promise<BatchDetail | undefined>;
}

export interface ScheduleView {
  readonly expression: string;
  readonly in_words: string;
  readonly tz: string;
  readonly paused: boolean;
  readonly next_runs: readonly string[];
}

export interface TemplateSummary {
  readonly id: string;
  readonly name: string;
  readonly description?: string | undefined;
  readonly schedule?: ScheduleView | undefined;
  readonly last_run?: { readonly job_id: string; readonly status: JobStatus; readonly at: string } | undefined;
  /** 0..1 over the history kept; null without runs. */
  readonly success_rate: number | null;
  readonly p50_ms: number | null;
  readonly p95_ms: number | null;
}

export interface TemplateDetail extends TemplateSummary {
  readonly params: readonly { readonly name: string; readonly description?: string; readonly required: boolean }[];
  readonly history: readonly {
    readonly job_id: string;
    readonly status: JobStatus;
    readonly at: string;
    readonly duration_ms: number | null;
  }[];
}

export interface TemplateSource {
  list(): Promise<TemplateSummary[]>;
  get(id: string): Promise<TemplateDetail | undefined>;
  /** The template a job was started from (the jobs list filters on it). */
  templateOf(job: Job): string | undefined;
  /**
   * TODO(lead): run now with parameters; pause and resume the schedule. No page offers them yet: add POST routes
   * (`action: true`, so read-only mode refuses them) beside cancel in routes.ts, and their forms to templatePage.
   */
  runNow?: ((id: string, params: Record<string, string>) => Promise<Job>) | undefined;
  setPaused?: ((id: string, paused: boolean) => Promise<void>) | undefined;
}

export interface ApprovalView {
  readonly id: string;
  readonly what: string;
  readonly requested_at: string;
  readonly job_id?: string | undefined;
}

export interface ApprovalSource {
  pending(): Promise<ApprovalView[]>;
}

/** The sources this version can fill from its services; the other seams stay empty until the lead wires them. */
export function defaultSources(o: {
  readonly jobs: JobService;
  readonly servers: ServerService;
  readonly config: Pick<Config, 'jobs'>;
}): DashboardSources {
  return {
    jobs: o.jobs,
    servers: o.servers,
    stats: { countByStatus: () => countByStatus(o.jobs) },
    actions: { cancel: (id) => o.jobs.requestCancel(id) },
    limits: { maxJobs: o.config.jobs.maxJobs, maxPerServer: o.config.jobs.maxPerServer },
    pool: {
      status: () => o.jobs.pool(),
      instances: async () =>
        (await o.jobs.pool()).instances.map((i) => ({
          id: i.id,
          host: i.host,
          pid: i.pid,
          version: i.version,
          alive: i.alive,
          slots_used: i.slots_used,
          slots_total: i.slots_max,
          heartbeat_at: i.heartbeat_at,
        })),
    },
  };
}
