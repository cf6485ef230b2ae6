import { JOB_STATUSES, type JobStatus } from '../jobs/index.js';
import type { JobService } from '../jobs/index.js';

/** A count stops here and shows as "1000+": the overview must stay quick however many jobs there are. */
export const COUNT_CAP = 1000;
const PAGE = 250;

/**
 * Jobs per state, counted by paging through the job service (which has no count query yet).
 * TODO(lead, store): replace with one grouped count in the store; this costs up to COUNT_CAP / PAGE reads per state.
 */
export async function countByStatus(
  jobs: Pick<JobService, 'list'>,
): Promise<{ counts: Record<JobStatus, number>; capped: Partial<Record<JobStatus, boolean>> }> {
  const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
  const capped: Partial<Record<JobStatus, boolean>> = {};
  await Promise.all(
    JOB_STATUSES.map(async (status) => {
      let cursor: string | undefined;
      for (;;) {
        const page = await jobs.list({ status }, PAGE, cursor);
        counts[status] += page.jobs.length;
        if (!page.next_cursor) return;
        if (counts[status] >= COUNT_CAP) {
          capped[status] = true;
          return;
        }
        cursor = page.next_cursor;
      }
    }),
  );
  return { counts, capped };
}
