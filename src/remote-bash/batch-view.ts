import type { JobService } from '../jobs/service.js';
import type { StatusCounts } from '../jobs/store/contract.js';
import { isTerminal, type Job, type JobStatus } from '../jobs/types.js';
import { foldNames } from './fold.js';

/** One server of a batch, as an answer lists it. */
export interface ChildRow {
  readonly server: string;
  readonly job_id: string;
  readonly status: JobStatus;
  readonly exit_code: number | null;
  readonly duration_ms: number | null;
  readonly error?: { readonly code: string; readonly message: string } | undefined;
}

/** Servers whose command ended the same way with the same output (clush -b): listed once, names folded. */
export interface OutputGroup {
  readonly servers: string;
  readonly count: number;
  readonly status: JobStatus;
  readonly exit_code: number | null;
  readonly error_code?: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

export interface BatchView {
  readonly job_id: string;
  readonly status: JobStatus;
  readonly total: number;
  readonly counts: StatusCounts;
  readonly groups: OutputGroup[];
  /** A page of servers, failures first. */
  readonly servers: ChildRow[];
  /** Pass back as cursor for the next page of servers (and their groups). */
  readonly next_cursor?: number | undefined;
}

const PAGE = 50;
const GROUP_CAPS = { headLines: 8, tailLines: 8, maxBytes: 1024 };
const MAX_GROUPS = 6;

/** Failures first, then what did not finish, then the rest; by server name within. */
const ORDER: Record<JobStatus, number> = { failed: 0, lost: 1, cancelled: 2, running: 3, queued: 4, completed: 5 };

export async function children(jobs: JobService, parentId: string): Promise<Job[]> {
  return (await jobs.children(parentId)).sort(
    (a, b) =>
      ORDER[a.status] - ORDER[b.status] || (a.server ?? '').localeCompare(b.server ?? '', 'en', { numeric: true }),
  );
}

function row(j: Job): ChildRow {
  const started = j.started_at ? Date.parse(j.started_at) : undefined;
  const ended = j.finished_at ? Date.parse(j.finished_at) : undefined;
  return {
    server: j.server ?? '',
    job_id: j.id,
    status: j.status,
    exit_code: j.exit_code,
    duration_ms: started !== undefined && ended !== undefined ? Math.max(0, ended - started) : null,
    ...(j.error && j.error.code !== 'exit_code' ? { error: { code: j.error.code, message: j.error.message } } : {}),
  };
}

/**
 * A batch as a model reads it: counts, the servers' outputs grouped where identical (each capped head + tail), and a
 * page of per-server rows, failures first, with a cursor for the rest. Sized to stay well under 20 KB.
 */
export async function batchView(jobs: JobService, parent: Job, cursor = 0): Promise<BatchView> {
  const all = await children(jobs, parent.id);
  const counts = await jobs.countChildren(parent.id);
  const page = all.slice(cursor, cursor + PAGE);
  const groups = new Map<string, { names: string[]; g: Omit<OutputGroup, 'servers' | 'count'> }>();
  for (const j of page) {
    if (!isTerminal(j.status)) continue;
    const [out, err] = await Promise.all([
      jobs.summarize(j, 'stdout', GROUP_CAPS),
      jobs.summarize(j, 'stderr', GROUP_CAPS),
    ]);
    const code = j.error && j.error.code !== 'exit_code' ? j.error.code : undefined;
    const key = JSON.stringify([j.status, j.exit_code, code, out.text, err.text]);
    const found = groups.get(key);
    if (found) found.names.push(j.server ?? '');
    else
      groups.set(key, {
        names: [j.server ?? ''],
        g: { status: j.status, exit_code: j.exit_code, error_code: code, stdout: out.text, stderr: err.text },
      });
  }
  const grouped = [...groups.values()]
    .sort((a, b) => ORDER[a.g.status] - ORDER[b.g.status] || b.names.length - a.names.length)
    .slice(0, MAX_GROUPS)
    .map(({ names, g }) => ({ servers: foldNames(names), count: names.length, ...g }));
  return {
    job_id: parent.id,
    status: parent.status,
    total: all.length,
    counts,
    groups: grouped,
    servers: page.map(row),
    ...(cursor + PAGE < all.length ? { next_cursor: cursor + PAGE } : {}),
  };
}

function countsText(c: Partial<StatusCounts>, total: number): string {
  const done = (c.completed ?? 0) + (c.failed ?? 0) + (c.cancelled ?? 0) + (c.lost ?? 0);
  const parts = [`${done}/${total} done`];
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.lost) parts.push(`${c.lost} lost`);
  if (c.cancelled) parts.push(`${c.cancelled} cancelled`);
  if (c.running) parts.push(`${c.running} running`);
  if (c.queued) parts.push(`${c.queued} queued`);
  return parts.join(', ');
}

/** Progress of a batch in one line: "37/50 done, 2 failed". */
export function progressLine(c: Partial<StatusCounts>, total: number): string {
  return countsText(c, total);
}

/** How a group of servers ended, in a few words: "exit 0", "failed: exit 2", "failed (connection_refused)". */
export function groupOutcome(g: Pick<OutputGroup, 'status' | 'error_code' | 'exit_code'>): string {
  if (g.status === 'completed') return 'exit 0';
  if (g.error_code) return `${g.status} (${g.error_code})`;
  return `${g.status}${g.exit_code !== null ? `: exit ${g.exit_code}` : ''}`;
}

export function batchText(v: BatchView): string {
  const lines = [`Batch ${v.job_id} is ${v.status}: ${countsText(v.counts, v.total)}.`];
  for (const g of v.groups) {
    const how = groupOutcome(g);
    lines.push(`\n${g.servers} (${g.count} server${g.count > 1 ? 's' : ''}): ${how}`);
    if (g.stdout) lines.push(g.stdout);
    if (g.stderr) lines.push(`--- stderr ---\n${g.stderr}`);
  }
  const byStatus = new Map<JobStatus, string[]>();
  for (const r of v.servers) (byStatus.get(r.status) ?? byStatus.set(r.status, []).get(r.status))!.push(r.server);
  const open = [...byStatus].filter(([s]) => !isTerminal(s));
  for (const [s, names] of open) lines.push(`${s}: ${foldNames(names)}`);
  if (v.next_cursor !== undefined)
    lines.push(
      `(servers ${v.next_cursor + 1}.. not shown: get-job-status {"job_id": "${v.job_id}", "cursor": ${v.next_cursor}})`,
    );
  else if (!isTerminal(v.status))
    lines.push(`Follow it with get-job-status {"job_id": "${v.job_id}", "wait_s": 20}; stop it with cancel-job.`);
  return lines.join('\n');
}
