import { BATCH_TYPE, type Job, type JobService } from '../jobs/index.js';
import type { RemoteBashService } from '../remote-bash/index.js';
import type { BatchDetail, BatchSource, BatchSummary } from './sources.js';
import { jobWhat } from './views/format.js';

/**
 * Batches as the pages show them, from the remote-bash feature's own batch view (the per-server rows failures
 * first, identical outputs grouped with folded server names: what the MCP answer shows) and the job service.
 */
export function batchSource(o: {
  readonly jobs: Pick<JobService, 'list' | 'get' | 'countChildren'>;
  readonly remoteBash: Pick<RemoteBashService, 'batchStatus'>;
}): BatchSource {
  return {
    async list(limit, cursor) {
      const page = await o.jobs.list({ type: BATCH_TYPE }, limit, cursor);
      const batches = await Promise.all(
        page.jobs.map(async (j): Promise<BatchSummary> => {
          const counts = await o.jobs.countChildren(j.id);
          return { ...summary(j), counts, total: Object.values(counts).reduce((a, b) => a + b, 0) };
        }),
      );
      return { batches, next_cursor: page.next_cursor };
    },
    async get(id, opts = {}) {
      const job = await o.jobs.get(id);
      if (job.type !== BATCH_TYPE) return undefined;
      const view = await o.remoteBash.batchStatus(job, {
        cursor: opts.cursor ?? 0,
        wait_s: opts.wait_s ?? 0,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      const parent = view.status === job.status ? job : await o.jobs.get(id);
      const p = parent.params as { rerun_of?: unknown; retry_of?: unknown };
      const again = typeof p.retry_of === 'string' ? p.retry_of : typeof p.rerun_of === 'string' ? p.rerun_of : '';
      const detail: BatchDetail = {
        ...summary(parent),
        counts: view.counts,
        total: view.total,
        children: view.servers,
        groups: view.groups,
        cursor: opts.cursor ?? 0,
        next_cursor: view.next_cursor,
        ...(again ? { rerun_of: again } : {}),
      };
      return detail;
    },
  };
}

function summary(j: Job): Omit<BatchSummary, 'counts' | 'total'> {
  const p = j.params as { servers?: unknown; selector?: unknown };
  const n = Array.isArray(p.servers) ? p.servers.length : undefined;
  const where =
    typeof p.selector === 'string'
      ? ` on ${p.selector}`
      : n !== undefined
        ? ` on ${n} server${n === 1 ? '' : 's'}`
        : '';
  return { id: j.id, title: `${jobWhat(j)}${where}`, status: j.status, created_at: j.created_at };
}
