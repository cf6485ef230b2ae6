/**
 * The audit log: a hash chain of entries (who asked for what, where, when, the decision and the outcome) that
 * shows any edited, removed or reordered entry. Store-independent: the SQL stores implement AuditSink.
 */
export { canonicalJson } from './canonical.js';
export { entryHash, GENESIS, GENESIS_HASH, sealEntry, type ChainHead } from './chain.js';
export {
  AUDIT_EVENTS,
  auditEntrySchema,
  auditRecordSchema,
  type AuditActor,
  type AuditEntry,
  type AuditEvent,
  type AuditRecord,
  type JsonValue,
} from './entry.js';
export { isSecretKey, MASK, maskArgs, maskCommand, maskRecord, type MaskOptions } from './mask.js';
export {
  AUDIT_RETENTION_DAYS_DEFAULT,
  readAll,
  retentionCutoff,
  verifySink,
  type AuditPage,
  type AuditReadOptions,
  type AuditSink,
  type OutcomeSink,
} from './sink.js';
export {
  verifyChain,
  type ChainProblem,
  type ChainProblemKind,
  type VerifyOptions,
  type VerifyResult,
} from './verify.js';
export { AuditLog, type AuditInput, type AuditLogOptions, type LoginEvent } from './log.js';
export { outcomeOf, recordJobOutcomes, recordMissedOutcomes } from './outcomes.js';
