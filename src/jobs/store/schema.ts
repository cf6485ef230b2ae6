import type { JobStatus } from '../types.js';

/**
 * The tables of deckhand's database, one interface for both backends (Kysely types every query from it). Times are
 * epoch milliseconds (INTEGER in SQLite, BIGINT in PostgreSQL, parsed back to numbers); JSON columns are TEXT in
 * SQLite and JSONB in PostgreSQL, written and read through the backend's codec (backend.ts).
 */
export interface JobsTable {
  id: string;
  type: string;
  server: string | null;
  params: unknown;
  status: JobStatus;
  progress: unknown;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  attempt: number;
  exit_code: number | null;
  error: unknown;
  result: unknown;
  timeout_s: number;
  cancel_requested_at: number | null;
  runtime: unknown;
  owner_instance: string | null;
  owner_host: string | null;
  owner_pid: number | null;
  parent_id: string | null;
  parallel_limit: number | null;
  wave: number | null;
  priority: number;
  not_before: number | null;
  unique_key: string | null;
  /** Queue policies (0004): JSON, null for none. */
  retry: unknown;
  /** Ended attempts, JSON (null read as none). */
  attempts: unknown;
  active_deadline_s: number | null;
  ttl_after_finished_s: number | null;
  /** finished_at + ttl_after_finished_s: when the housekeeper removes the job. */
  expires_at: number | null;
  /** The template run this job is (0005): null for a job started otherwise. */
  template_id: string | null;
  template_version: number | null;
  template_trigger: string | null;
  /** 1: a template's history limits keep this run's log beyond the global retention. */
  keep_log: number | null;
  /** Grows with every write of the row: SQLite's change feed reads rows past the revision it saw (sqlite/changes.ts). */
  rev: number;
  updated_at: number;
}

export interface InstancesTable {
  id: string;
  host: string;
  pid: number;
  version: string;
  started_at: number;
  heartbeat_at: number;
  max_jobs: number;
}

/** Counters and markers of the database itself (SQLite's job revision, PostgreSQL's secret-key check). */
export interface MetaTable {
  key: string;
  value: string;
}

/** PostgreSQL only: a job's log in chunk rows, each one flush of records in format v2 (log/records.ts). */
export interface LogChunksTable {
  job_id: string;
  first_seq: number;
  last_seq: number;
  /** 0 the head, n ≥ 1 the n-th tail segment (the rolling tail keeps the two newest). */
  segment: number;
  first_ts: number;
  last_ts: number;
  /** Offsets and counters after the chunk's last line. */
  out_off: number;
  err_off: number;
  out_n: number;
  err_n: number;
  /** Bytes of `data` plus `entries`: what the chunk counts against the cap. */
  bytes: number;
  data: Buffer;
  /** The records' index entries, starts relative to `data`. */
  entries: Buffer;
}

/** PostgreSQL only: one row per job log, what readers need without touching its chunks, and its removal note. */
export interface LogHeadsTable {
  job_id: string;
  last_seq: number;
  bytes: number;
  removed_at: string | null;
  removed_reason: string | null;
  removed_lines: number | null;
  removed_bytes: number | null;
}

/** PostgreSQL only: secrets sealed with AES-256-GCM (iv, tag and ciphertext in one value). */
export interface SecretsTable {
  key: string;
  sealed: Buffer;
  updated_at: number;
}

/** PostgreSQL only: the registered servers, each record whole as JSON. */
export interface InventoryTable {
  name: string;
  record: unknown;
}

/** A person's approval asked for by policy (contract.ts ApprovalRecord); `request` is JSON. */
export interface ApprovalsTable {
  id: string;
  status: string;
  fingerprint: string;
  request: unknown;
  requested_by: string;
  requested_at: number;
  expires_at: number;
  decided_by: string | null;
  decided_at: number | null;
  used_at: number | null;
}

/** Time-boxed grants (contract.ts GrantRecord). */
export interface GrantsTable {
  id: string;
  server: string;
  pattern: string;
  granted_by: string;
  granted_at: number;
  expires_at: number;
  approval_id: string | null;
  revoked_at: number | null;
}

/**
 * The audit log's entries: `entry` is the whole entry as canonical JSON (what the hash covers, hashes included);
 * the other columns copy parts of it for queries (tail by server or time, a job's outcome, retention).
 */
export interface AuditLogTable {
  seq: number;
  at_ms: number;
  event: string;
  server: string | null;
  job_id: string | null;
  hash: string;
  entry: string;
}

/**
 * One row (id 1): the chain's last entry, which every append locks and moves on, and where the kept chain starts
 * (GENESIS, or the last entry retention removed).
 */
export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
  start_seq: number;
  start_hash: string;
}

/** A template's current state (templates/store.ts TemplateRecord); `definition` is JSON. */
export interface TemplatesTable {
  id: string;
  name: string;
  status: string;
  version: number;
  definition: unknown;
  created_at: number;
  updated_at: number;
  sched_cursor: number | null;
  sched_since: number | null;
  next_due_at: number | null;
}

/** Every version of every template, immutable once written. */
export interface TemplateVersionsTable {
  template_id: string;
  version: number;
  definition: unknown;
  created_at: number;
}

/** Slots a schedule did not start: skipped (a run still active) or missed (deadline, catch-up), with how many. */
export interface ScheduleEventsTable {
  template_id: string;
  slot: number;
  kind: string;
  reason: string;
  count: number;
  at: number;
}

export interface Database {
  jobs: JobsTable;
  instances: InstancesTable;
  meta: MetaTable;
  log_chunks: LogChunksTable;
  log_heads: LogHeadsTable;
  secrets: SecretsTable;
  inventory: InventoryTable;
  approvals: ApprovalsTable;
  grants: GrantsTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  templates: TemplatesTable;
  template_versions: TemplateVersionsTable;
  schedule_events: ScheduleEventsTable;
}

export type StoreKind = 'sqlite' | 'postgres';
