// The job kernel's facade: what the MCP surface, the CLI and the dashboard may use. Everything else in jobs/ (the
// engine, its scheduler, runs and recovery, the stores and the log writer) is the kernel's own, reached by features
// through kernel.ts when the composition root builds them.
export { BATCH_TYPE } from './batch.js';
export { JobChanges, type JobLifecycle } from './changes.js';
export type { LogLine, LogStream } from './log/format.js';
export { removalText, type LogRemoval } from './log/removal.js';
export type { OrphanedJob, PoolInstance, PoolServer, PoolStatus } from './pool.js';
export { JobService, type ReadInput, type StatusInput } from './service.js';
export type { JobFilter, JobPage, ReadResult, StatusCounts, StreamSummary } from './store/contract.js';
export * from './types.js';
export { DEFAULT_BACKOFF, MAX_ATTEMPTS, backoffDelayMs, endWords } from './retry.js';
export { attemptLogKey } from './log/keys.js';
export type { AttemptReadResult } from './attempt-logs.js';
