import { sql } from '../kysely.js';
import type { LogRetentionPolicy, LogSweepResult } from '../contract.js';
import type { PostgresBackend } from './backend.js';

/** Logs removed per statement batch: each removal is its own short write, so claims slip in between. */
const BATCH = 200;
const DAY = 86_400_000;

interface Candidate {
  readonly job_id: string;
  readonly last_seq: number;
  readonly bytes: number;
}

/**
 * Log retention on the chunk tables, as the file sweep does it in embedded mode: logs of jobs that ended before the
 * cut-off, then the longest-finished ones while the total is over the cap. A job's end is its record's finished_at
 * (queued and running jobs have none, so their logs are never candidates). A removal happens once: of two instances
 * sweeping at once, the second finds the note already there and leaves it.
 */
export async function sweepPgLogs(
  b: PostgresBackend,
  policy: LogRetentionPolicy,
  now: number,
): Promise<LogSweepResult> {
  const cutoff = now - policy.keepDays * DAY;
  let removed = 0;
  let bytes = 0;
  const expiredReason = `its job ended more than ${policy.keepDays} days ago (DECKHAND_JOB_LOGS_RETAIN_DAYS)`;
  for (;;) {
    const batch = await candidates(b, cutoff);
    for (const c of batch) {
      if (await removeOnce(b, c, expiredReason, now)) {
        removed++;
        bytes += c.bytes;
      }
    }
    if (batch.length < BATCH) break;
  }
  const overReason = `job logs exceeded ${policy.maxTotalBytes} bytes in all (DECKHAND_JOB_LOGS_MAX_TOTAL_BYTES) and it was among the oldest`;
  let total = await totalBytes(b);
  while (total > policy.maxTotalBytes) {
    const batch = await candidates(b, undefined);
    if (batch.length === 0) break;
    for (const c of batch) {
      if (total <= policy.maxTotalBytes) break;
      if (await removeOnce(b, c, overReason, now)) {
        removed++;
        bytes += c.bytes;
      }
      total -= c.bytes;
    }
  }
  return { removed, bytes };
}

/** Finished jobs' logs not yet removed, longest-finished first; with a cut-off, only those that ended before it. */
function candidates(b: PostgresBackend, endedBefore: number | undefined): Promise<Candidate[]> {
  return b.read((db) => {
    let q = db
      .selectFrom('log_heads as h')
      // A log's key is its job's id, or "<job id>.<n>" for a retry's attempt n: each attempt's log goes with its job.
      .innerJoin('jobs as j', (join) => join.on(sql<boolean>`j.id = split_part(h.job_id, '.', 1)`))
      .select(['h.job_id', 'h.last_seq', 'h.bytes'])
      .where('h.removed_at', 'is', null)
      .where('j.finished_at', 'is not', null)
      // A template's history limits keep these beyond the global retention.
      .where((eb) => eb.or([eb('j.keep_log', 'is', null), eb('j.keep_log', '=', 0)]));
    if (endedBefore !== undefined) q = q.where('j.finished_at', '<', endedBefore);
    return q.orderBy('j.finished_at').orderBy('j.id').limit(BATCH).execute();
  });
}

async function totalBytes(b: PostgresBackend): Promise<number> {
  const row = await b.read((db) =>
    db
      .selectFrom('log_heads')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('bytes'), eb.lit(0)).as('total'))
      .where('removed_at', 'is', null)
      .executeTakeFirstOrThrow(),
  );
  return Number(row.total);
}

/** Drops the chunks and writes the note, only if no other sweep did it first (the head row is locked). */
async function removeOnce(b: PostgresBackend, c: Candidate, reason: string, now: number): Promise<boolean> {
  return b.write(async (trx) => {
    const head = await trx
      .selectFrom('log_heads')
      .select(['removed_at', 'last_seq', 'bytes'])
      .where('job_id', '=', c.job_id)
      .forUpdate()
      .executeTakeFirst();
    if (!head || head.removed_at) return false;
    await trx.deleteFrom('log_chunks').where('job_id', '=', c.job_id).execute();
    await trx
      .updateTable('log_heads')
      .set({
        bytes: 0,
        removed_at: new Date(now).toISOString(),
        removed_reason: reason,
        removed_lines: Number(head.last_seq),
        removed_bytes: Number(head.bytes),
      })
      .where('job_id', '=', c.job_id)
      .execute();
    return true;
  });
}
