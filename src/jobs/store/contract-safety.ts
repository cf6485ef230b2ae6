/**
 * The storage contract's part for safety (contract.ts states the rules every store keeps): approvals and grants,
 * and the audit log.
 */
import type { AuditSink, OutcomeSink } from '../../audit/sink.js';

/** A request for a person's approval, from the moment policy asked until it was decided and used, or expired. */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'used';

export interface ApprovalRecord {
  readonly id: string;
  readonly status: ApprovalStatus;
  /** What identifies the action asked about (a hash made by the caller): the same call again finds this request. */
  readonly fingerprint: string;
  /** What is asked, for the person deciding and the assistant polling; its shape is the safety feature's, kept whole. */
  readonly request: Readonly<Record<string, unknown>>;
  /** Who asked (a caller's description: token, client, instance). */
  readonly requested_by: string;
  readonly requested_at: number;
  /** Pending: a person must decide before this. Approved: the call must be made again before this. */
  readonly expires_at: number;
  readonly decided_by: string | null;
  readonly decided_at: number | null;
  readonly used_at: number | null;
}

export type NewApproval = Omit<ApprovalRecord, 'status' | 'decided_by' | 'decided_at' | 'used_at'>;

/** A person's time-boxed "this pattern on this server" (policy/grants.ts), as stored. */
export interface GrantRecord {
  readonly id: string;
  readonly server: string;
  readonly pattern: string;
  readonly granted_by: string;
  readonly granted_at: number;
  readonly expires_at: number;
  /** The approval it was granted with, if any. */
  readonly approval_id: string | null;
  readonly revoked_at: number | null;
}

export interface ApprovalDecision {
  readonly status: 'approved' | 'denied';
  readonly by: string;
  readonly now: number;
  /** The new expiry: for an approval, the window in which the call may be made again. */
  readonly expires_at: number;
  /** Grants stored with an approval, in the same write. */
  readonly grants: readonly GrantRecord[];
}

/**
 * Approvals and grants, shared by every instance (a person approves from the CLI of one machine, the call is made
 * again through another instance). Decisions and uses are atomic: of two people deciding at once, or two calls using
 * one approval at once, exactly one wins.
 */
export interface SafetyStore {
  createApproval(a: NewApproval): Promise<ApprovalRecord>;
  getApproval(id: string): Promise<ApprovalRecord | undefined>;
  /** The newest approval with this fingerprint that has not expired at `now` and was not used. */
  findApproval(fingerprint: string, now: number): Promise<ApprovalRecord | undefined>;
  /**
   * Decides a pending approval that has not expired at `decision.now`, storing its grants in the same write. Answers
   * the record as it is after the call (undefined: no such approval); its status tells whether this decision took.
   */
  decideApproval(id: string, decision: ApprovalDecision): Promise<ApprovalRecord | undefined>;
  /** Approved and unexpired becomes used, once: true for the one caller that used it. */
  useApproval(id: string, now: number): Promise<boolean>;
  /** Newest first; `live` leaves out what has expired at that time or was used. */
  listApprovals(filter: {
    readonly status?: ApprovalStatus;
    readonly live?: number;
    readonly limit: number;
  }): Promise<ApprovalRecord[]>;
  addGrant(grant: GrantRecord): Promise<void>;
  /** Grants in force at `now` (not expired, not revoked), for one server or for all, newest first. */
  activeGrants(now: number, server?: string): Promise<GrantRecord[]>;
  /** Revokes a grant in force; undefined when there is none with that id. */
  revokeGrant(id: string, now: number): Promise<GrantRecord | undefined>;
  /** Deletes approvals and grants whose expiry is before `before`; answers how many rows went. */
  prune(before: number): Promise<number>;
}

/**
 * The audit log (src/audit/sink.ts states the contracts: a hash chain appended under one lock, never updated,
 * pruned only from its start; a job's outcome appended once, whichever instance records its end).
 */
export interface AuditStore extends AuditSink, OutcomeSink {}
