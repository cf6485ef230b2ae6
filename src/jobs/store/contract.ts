/**
 * The storage contract of deckhand's job system: what the rest of deckhand may ask of a store, and what every
 * implementation promises. Two implementations keep it: SQLite (embedded, one file under DECKHAND_HOME, several
 * processes on one home) and PostgreSQL (several deckhand instances on several machines sharing one job system).
 * One contract test suite (tests/jobs/store/contract.suite.ts) runs against both; a promise written here and not
 * tested there is a bug in the suite.
 *
 * Shared rules:
 * - Every method is safe to call from several processes / instances at once. A write is atomic: it happens whole or
 *   not at all, and a committed write survives the process being killed (SQLite: WAL with synchronous=FULL).
 * - Times in and out are epoch milliseconds (numbers) inside the store; records carry ISO strings (Job).
 * - A store never runs user code inside its transactions except the pure `change` functions given to `update`,
 *   which must not do I/O and may be called more than once (a retried transaction).
 * - When the database cannot be reached, a method rejects within `unavailableAfterMs` (a few seconds) with a
 *   DeckhandError code `store_unavailable`; it never hangs and never answers stale data as if current.
 */
import type { LogLine, Offsets } from '../log/format.js';
import type { Job, JobStatus, RetryPolicy, TemplateRunRef } from '../types.js';
import type { AuditStore, SafetyStore } from './contract-safety.js';
import type { TemplateStore } from './contract-templates.js';

/** The deckhand process (an instance) that owns running jobs. */
export interface InstanceRef {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
}

export interface InstanceInfo extends InstanceRef {
  readonly version: string;
  readonly started_at: number;
  readonly heartbeat_at: number;
  /** DECKHAND_MAX_JOBS of that instance (0: it serves clients and runs nothing). */
  readonly max_jobs: number;
}

/** What a new job is made of; the store fills in status 'queued', times and counters. */
export interface NewJobSpec {
  readonly id: string;
  readonly type: string;
  readonly server: string | null;
  readonly params: Readonly<Record<string, unknown>>;
  readonly timeout_s: number;
  readonly runtime?: Readonly<Record<string, unknown>>;
  /** A fan-out child's batch (the parent job's id). */
  readonly parent_id?: string | null;
  /** Most children of the same parent running at once (a batch's max_parallel). */
  readonly parallel_limit?: number | null;
  /** Rolling waves: a child of wave n starts only once every child of earlier waves has ended. */
  readonly wave?: number | null;
  /** Lower runs first: 0 high, 1 normal (default), 2 low. Old queued jobs age upward so none starves. */
  readonly priority?: number;
  /** Not started before this time (epoch ms). */
  readonly not_before?: number | null;
  /**
   * At most one job ever carries a given key (a schedule slot: schedule id + nominal time). Creating a second one
   * fails with `duplicate_job` naming the existing job, whichever instance tries.
   */
  readonly unique_key?: string | null;
  /** Retries of failed attempts (a failed attempt goes back to the queue with a not_before; see jobs/retry.ts). */
  readonly retry?: RetryPolicy | null;
  /** All attempts end within this many seconds of the first one's start. */
  readonly active_deadline_s?: number | null;
  /** The record (and its log) go this many seconds after the job ended (`deleteExpired`). */
  readonly ttl_after_finished_s?: number | null;
  /** The template run this job is. */
  readonly template?: TemplateRunRef | null;
  /** A job created already in this state (a batch parent is 'running' while its children run; it has no owner). */
  readonly status?: Extract<JobStatus, 'queued' | 'running'>;
}

export interface JobFilter {
  readonly status?: JobStatus | undefined;
  readonly server?: string | undefined;
  readonly type?: string | undefined;
  readonly parent_id?: string | undefined;
  /** Only jobs that are not children of a batch (list-jobs shows a batch once, by its parent). */
  readonly top_level?: boolean | undefined;
  /** Only queued jobs waiting for a time after this one (epoch ms): "scheduled". */
  readonly not_before_after?: number | undefined;
  /** Only runs of this template (its id). */
  readonly template_id?: string | undefined;
}

export interface JobPage {
  readonly jobs: Job[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  readonly next_cursor: string | null;
}

/** Jobs per status, e.g. of one batch's children. */
export type StatusCounts = Readonly<Record<JobStatus, number>>;

export interface ClaimRequest {
  readonly instance: InstanceRef;
  readonly now: number;
  /** This instance's slots (DECKHAND_MAX_JOBS): running jobs owned by it stay below this. */
  readonly maxForInstance: number;
  /** DECKHAND_MAX_JOBS_PER_SERVER: running jobs on one server, counted across ALL instances. */
  readonly maxPerServer: number;
  /** At most this many jobs are started by one claim. */
  readonly max: number;
}

/**
 * Job records. Admission order of `claim`: lowest effective priority first (priority minus one per
 * `agingMs` waited, so a steady stream of high-priority jobs cannot starve low ones), then round-robin by origin
 * (a batch's children are one origin, every single job its own: a single call queued behind a 200-server batch
 * starts as soon as one slot frees), then FIFO by id. Skipped: jobs with a cancel request, jobs whose not_before is
 * in the future, jobs whose server is full, children over their parallel_limit or of a wave not yet reached.
 */
export interface JobStore {
  /** Creates jobs atomically (a batch parent and its children in one write). */
  create(specs: readonly NewJobSpec[], now: number): Promise<Job[]>;
  /**
   * Creates one job and, in the same transaction, starts it for `claim.instance` when admission allows it and no
   * job it would overtake is waiting: a job that can run at once costs one write. While another instance claims
   * (PostgreSQL), the job is left queued for the next claim rather than waiting for that one to finish.
   */
  createAndClaim(spec: NewJobSpec, claim: ClaimRequest): Promise<Job>;
  get(id: string): Promise<Job | undefined>;
  /**
   * Applies a pure change to one job in a transaction (row lock / write lock held): `change` gets the current record
   * and returns the new one, or undefined to leave it. Answers the record as it is after the call (undefined: no job).
   */
  update(id: string, change: (job: Job) => Job | undefined): Promise<Job | undefined>;
  /**
   * `update` followed, in the same transaction, by a claim (a job that ends passes its slot on with one write). The
   * update never waits for another instance's claim: then it claims nothing and the caller's scheduler claims later.
   */
  updateAndClaim(
    id: string,
    change: (job: Job) => Job | undefined,
    claim: ClaimRequest,
  ): Promise<{ job: Job | undefined; claimed: Job[] }>;
  /** Starts admissible queued jobs for this instance, atomically across instances (see the order above). */
  claim(req: ClaimRequest): Promise<Job[]>;
  /** Sets cancel_requested_at (a queued job is cancelled at once) and wakes the owner. */
  requestCancel(id: string, now: number): Promise<Job | undefined>;
  /** Queued and running jobs (recovery, the pool view); `owner` narrows to jobs owned by that instance. */
  active(filter?: { owner?: string }): Promise<Job[]>;
  list(filter: JobFilter, limit: number, cursor?: string): Promise<JobPage>;
  /** Children of a batch by status. */
  countChildren(parentId: string): Promise<StatusCounts>;
  /**
   * Running jobs whose owner is gone (heartbeat older than `staleBefore`, or no instance row at all) become `to`'s,
   * atomically: of two instances taking over at once, each job goes to exactly one. Stale instance rows are removed.
   */
  takeOver(to: InstanceRef, staleBefore: number, now: number): Promise<Job[]>;
  /** Deletes finished jobs that ended before `before`, at most `batch` at a time; answers the ids deleted. */
  deleteFinished(before: number, batch: number): Promise<string[]>;
  /**
   * Deletes finished jobs whose ttl_after_finished_s has run out at `now` (finished_at + ttl ≤ now), at most `batch`
   * at a time, with their logs where the store keeps them (PostgreSQL's chunk rows, every attempt's); answers the ids.
   */
  deleteExpired(now: number, batch: number): Promise<string[]>;
  /** Finished jobs whose logs a template's history limits keep (TemplateStore.keepHistory): retention leaves them. */
  keptLogs(): Promise<string[]>;
}

/** The instances sharing this job system, for ownership and the pool view. */
export interface InstanceStore {
  /** Registers (or refreshes) this instance. */
  register(info: Omit<InstanceInfo, 'heartbeat_at'>, now: number): Promise<void>;
  /** Refreshes the heartbeat; answers false when the row was removed (another instance took our jobs over). */
  heartbeat(id: string, now: number): Promise<boolean>;
  /** Removes the row; its running jobs become free to take over at once. */
  unregister(id: string): Promise<void>;
  list(): Promise<InstanceInfo[]>;
}

/** A wake-up from another process or instance. A hint, never the truth: readers then read the store. */
export type StoreChange =
  { readonly kind: 'job'; readonly id: string } | { readonly kind: 'lines'; readonly id: string; readonly seq: number };

export interface ChangeSource {
  /**
   * Changes made by OTHER processes/instances (this process tells its own listeners directly). Delivered within
   * about 0.5 s; a missed hint costs latency, never data (a reader catches up from the store).
   */
  watch(listener: (change: StoreChange) => void): () => void;
  /** Tells the others that a job has lines up to `seq` (throttled by the caller). */
  announceLines(id: string, seq: number): void;
}

export interface ReadOptions {
  /** Lines after this seq (exclusive); without it, the last `limit` lines. */
  readonly cursor?: number | undefined;
  readonly limit: number;
  readonly stream?: 'all' | 'stdout' | 'stderr';
  readonly grep?: RegExp | undefined;
}

export interface LogRemoval {
  readonly removed_at: string;
  readonly reason: string;
  readonly total_lines: number;
  readonly log_bytes: number;
}

export interface ReadResult {
  readonly lines: LogLine[];
  readonly next_cursor: number;
  readonly has_more: boolean;
  readonly total_lines: number;
  readonly log_bytes: number;
  readonly truncated?: boolean;
  readonly removed?: LogRemoval;
}

export interface StreamSummary {
  readonly text: string;
  readonly truncated: boolean;
  readonly total_lines: number;
  readonly total_bytes: number;
}

/**
 * One job's log being written. One writer per job at a time (its owner). Lines are gathered in memory and made
 * durable by `flush`; `offsets` are those of the last line added, `durableOffsets` those of the last line stored:
 * after a crash, or when the store refused a flush, the follower resumes from `durableOffsets`, so a line is never
 * lost and never stored twice.
 */
export interface LogWriter {
  readonly seq: number;
  readonly offsets: Readonly<Offsets>;
  readonly durableOffsets: Readonly<Offsets>;
  add(stream: LogLine['stream'], text: string, endOffset?: number, ts?: number): void;
  addRange(stream: LogLine['stream'], buf: Buffer, start: number, end: number, endOffset?: number, ts?: number): void;
  addLines(
    stream: 'stdout' | 'stderr',
    buf: Buffer,
    start: number,
    end: number,
    count: number,
    endOffset: number,
    ts?: number,
  ): void;
  /** Hands what was added to the store; resolves once it is durable. Rejects (store_unavailable) when it could not be. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** How long finished jobs' logs are kept (DECKHAND_JOB_LOGS_RETAIN_DAYS, DECKHAND_JOB_LOGS_MAX_TOTAL_BYTES). */
export interface LogRetentionPolicy {
  /** Logs of jobs that ended longer ago than this are removed. */
  readonly keepDays: number;
  /** Past this many bytes of logs in all, the logs of the longest-finished jobs go first. */
  readonly maxTotalBytes: number;
}

export interface LogSweepResult {
  readonly removed: number;
  readonly bytes: number;
}

/** Job logs: files under DECKHAND_HOME (embedded mode) or chunk rows (PostgreSQL). Capped per job: head + rolling tail. */
export interface LogStore {
  open(jobId: string, limits: { maxBytes: number }): Promise<LogWriter>;
  read(jobId: string, opts: ReadOptions): Promise<ReadResult>;
  /** A stream as a finished command's result shows it: head and tail within the caps, with an omitted-lines marker. */
  summarize(
    jobId: string,
    stream: 'stdout' | 'stderr',
    caps: { headLines: number; tailLines: number; maxBytes: number },
  ): Promise<StreamSummary>;
  /** Bytes stored for the job's log (0 when none). */
  size(jobId: string): Promise<number>;
  /** Removes the log, keeping a removal note that `read` reports. */
  remove(jobId: string, removal: LogRemoval): Promise<void>;
  /**
   * Retention: removes the logs of finished jobs that ended before `now - keepDays`, then, while all logs together
   * exceed `maxTotalBytes`, those of the longest-finished jobs; each keeps a removal note saying why. Logs of queued
   * and running jobs are never touched. Idempotent: several instances sweeping at once remove each log once.
   */
  sweep(policy: LogRetentionPolicy, now: number): Promise<LogSweepResult>;
}

/** Small secrets deckhand keeps: deploy secrets, its own SSH key, a job's env values until they reach the server. */
export interface SecretStore {
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
  /**
   * Stores `value` unless the key already holds one, and answers what the key holds afterwards: of several
   * instances creating the same secret at once (deckhand's own SSH key), all end up with the first one stored.
   */
  putIfAbsent(key: string, value: string): Promise<string>;
  delete(key: string): Promise<void>;
  /** Keys under a prefix (e.g. "deploy/web-1/"), never values. */
  keys(prefix: string): Promise<string[]>;
}

/**
 * The registered servers, by name. Embedded mode keeps them in DECKHAND_HOME/inventory.json (lowdb: small, readable,
 * hand-editable); PostgreSQL mode in a table, so every instance sees the same servers. The record's shape belongs to
 * the servers feature: the store keeps it whole and validates nothing but the name.
 */
export interface InventoryStore<R extends { readonly name: string }> {
  list(): Promise<R[]>;
  find(name: string): Promise<R | undefined>;
  /** Fails with `server_exists` when the name is taken. */
  add(record: R): Promise<R>;
  /** Applies a pure change to one record; undefined when there is no such server. */
  update(name: string, change: (record: R) => R): Promise<R | undefined>;
  remove(name: string): Promise<R | undefined>;
}

export type * from './contract-safety.js';
export type * from './contract-templates.js';

/** Everything one backend provides; `close` ends its connections and timers. */
export interface Stores {
  readonly kind: 'sqlite' | 'postgres';
  readonly jobs: JobStore;
  readonly instances: InstanceStore;
  readonly changes: ChangeSource;
  readonly logs: LogStore;
  readonly secrets: SecretStore;
  readonly inventory: InventoryStore<{ readonly name: string }>;
  readonly safety: SafetyStore;
  readonly audit: AuditStore;
  readonly templates: TemplateStore;
  /** Where it lives, for messages (a file path, or host:port/database without the password). */
  readonly location: string;
  close(): Promise<void>;
}
