import fs from 'node:fs';
import path from 'node:path';
import { readLog } from './reader.js';
import { dropLog, readRemoval, REMOVAL_FILE } from './removal.js';
import { isJobId } from '../types.js';

import type { LogRetentionPolicy, LogSweepResult } from '../store/contract.js';

export type { LogRetentionPolicy };

export interface SweepDeps {
  readonly home: string;
  readonly policy: LogRetentionPolicy;
  /** Ids of jobs queued or running now: their logs are never touched. */
  readonly activeIds: () => Promise<ReadonlySet<string>>;
  /** 'finished' (a terminal record), 'active', or 'unknown' (no record: a job being created, or a leftover). */
  readonly stateOf: (id: string) => Promise<'finished' | 'active' | 'unknown'>;
  readonly now?: Date;
}

export type SweepResult = LogSweepResult;

interface LogDir {
  readonly id: string;
  readonly dir: string;
  readonly bytes: number;
  /** When anything in it last changed: for a finished job, when its last line was written. */
  readonly lastWrite: number;
}

/**
 * Removes the logs of finished jobs past the retention policy, leaving a small record of the removal in their place
 * so readers can say what happened. Run by each process that executes jobs (a removal is idempotent: two sweeps at once do no harm); reads the disk with async
 * calls so a large jobs directory does not hold up the event loop.
 */
export async function sweepJobLogs(deps: SweepDeps): Promise<SweepResult> {
  const now = (deps.now ?? new Date()).getTime();
  const cutoff = now - deps.policy.keepDays * 86_400_000;
  const dirs = await listLogDirs(path.join(deps.home, 'jobs'));
  const active = await deps.activeIds();
  let total = dirs.reduce((n, d) => n + d.bytes, 0);
  // Oldest last write first: past the byte budget, those go before any newer one.
  // A retried job's earlier attempts log under "<job id>.<n>": they belong to their job.
  const candidates = dirs
    .filter((d) => !active.has(d.id.split('.')[0] as string) && d.bytes > 0)
    .sort((a, b) => a.lastWrite - b.lastWrite);
  let removed = 0;
  let bytes = 0;
  for (const d of candidates) {
    const expired = d.lastWrite < cutoff;
    if (!expired && total <= deps.policy.maxTotalBytes) break;
    const state = await deps.stateOf(d.id);
    // A job's directory can exist before its record does (secrets are put beside it first): without a record, only
    // an expired directory is a leftover.
    if (state === 'active' || (state === 'unknown' && !expired)) continue;
    const reason = expired
      ? `its job ended more than ${deps.policy.keepDays} days ago (DECKHAND_JOB_LOGS_RETAIN_DAYS)`
      : `job logs exceeded ${deps.policy.maxTotalBytes} bytes in all (DECKHAND_JOB_LOGS_MAX_TOTAL_BYTES) and it was among the oldest`;
    await removeLog(d.dir, reason, new Date(now));
    total -= d.bytes;
    bytes += d.bytes;
    removed++;
  }
  return { removed, bytes };
}

async function removeLog(dir: string, reason: string, at: Date): Promise<void> {
  const before = readRemoval(dir);
  const { total_lines, log_bytes } = before ?? readLog(dir, { limit: 0 });
  await dropLog(dir, { removed_at: before?.removed_at ?? at.toISOString(), reason, total_lines, log_bytes });
  // A finished job's directory goes whole: what else it holds was the job's, and the job is over.
  for (const name of await fs.promises.readdir(dir)) {
    if (name !== REMOVAL_FILE) await fs.promises.rm(path.join(dir, name), { recursive: true, force: true });
  }
}

async function listLogDirs(jobsDir: string): Promise<LogDir[]> {
  let entries: fs.Dirent[];
  try {
    entries = await fs.promises.readdir(jobsDir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: LogDir[] = [];
  for (const e of entries) {
    // Ids are validated before they become paths, and anything else in the directory is not ours to remove.
    if (!e.isDirectory() || !isJobId(e.name)) continue;
    const dir = path.join(jobsDir, e.name);
    try {
      const names = await fs.promises.readdir(dir);
      let bytes = 0;
      let lastWrite = (await fs.promises.stat(dir)).mtimeMs;
      for (const name of names) {
        if (name === REMOVAL_FILE) continue;
        const st = await fs.promises.stat(path.join(dir, name)).catch(() => undefined);
        if (!st) continue;
        bytes += st.size;
        lastWrite = Math.max(lastWrite, st.mtimeMs);
      }
      out.push({ id: e.name, dir, bytes, lastWrite });
    } catch {
      // Removed while we looked: nothing to do.
    }
  }
  return out;
}
