import { z } from 'zod';

/** What an audit entry records. An outcome arrives as its own entry naming the job, since entries are never edited. */
export const AUDIT_EVENTS = Object.freeze([
  'tool-call',
  'refusal',
  'approval-requested',
  'approval-granted',
  'approval-denied',
  'grant-created',
  'grant-revoked',
  'outcome',
  'dashboard-login',
] as const);
export type AuditEvent = (typeof AUDIT_EVENTS)[number];

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Who asked: the MCP client (from initialize), the HTTP token by name, the deckhand instance, a person approving. */
export interface AuditActor {
  readonly instance: string;
  readonly client?: { readonly name: string; readonly version: string } | undefined;
  /** A token's configured name, never the token. */
  readonly token?: string | undefined;
  /** The person behind an approval or a dashboard login. */
  readonly person?: string | undefined;
}

/** One event as the caller describes it; args and command must already be masked (see maskArgs, maskCommand). */
export interface AuditRecord {
  readonly at: string;
  readonly event: AuditEvent;
  readonly who: AuditActor;
  readonly tool?: string | undefined;
  readonly args?: JsonValue | undefined;
  readonly command?: string | undefined;
  readonly server?: string | undefined;
  readonly decision?: 'allow' | 'ask' | 'deny' | undefined;
  readonly class?: string | undefined;
  readonly reasons?: readonly string[] | undefined;
  readonly job_id?: string | undefined;
  readonly approval_id?: string | undefined;
  readonly grant_id?: string | undefined;
  /** succeeded, failed (exit 2), cancelled, lost, refused … */
  readonly outcome?: string | undefined;
  /** The seq of the entry this one completes (an outcome of a call that started no job). */
  readonly ref?: number | undefined;
}

/** A record once it is in the chain. */
export interface AuditEntry extends AuditRecord {
  /** 1, 2, 3 … with no gaps, in the order entries were appended. */
  readonly seq: number;
  /** The hash of the entry before, or GENESIS_HASH for the first. */
  readonly prev_hash: string;
  /** sha256(prev_hash + canonical(entry without prev_hash and hash)), hex. */
  readonly hash: string;
}

const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number().finite(), z.boolean(), z.null(), z.array(jsonValue), z.record(jsonValue)]),
);

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

export const auditRecordSchema = z
  .object({
    at: z.string().datetime({ offset: true }),
    event: z.enum(AUDIT_EVENTS),
    who: z
      .object({
        instance: z.string().min(1),
        client: z.object({ name: z.string(), version: z.string() }).strict().optional(),
        token: z.string().optional(),
        person: z.string().optional(),
      })
      .strict(),
    tool: z.string().optional(),
    args: jsonValue.optional(),
    command: z.string().optional(),
    server: z.string().optional(),
    decision: z.enum(['allow', 'ask', 'deny']).optional(),
    class: z.string().optional(),
    reasons: z.array(z.string()).optional(),
    job_id: z.string().optional(),
    approval_id: z.string().optional(),
    grant_id: z.string().optional(),
    outcome: z.string().optional(),
    ref: z.number().int().positive().optional(),
  })
  .strict();

/** For entries read back from a store or an export: a row that does not fit is reported, never trusted. */
export const auditEntrySchema = auditRecordSchema
  .extend({ seq: z.number().int().positive(), prev_hash: hex64, hash: hex64 })
  .strict();
