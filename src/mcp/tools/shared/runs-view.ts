import type { RemoteBashOutcome } from '../../../remote-bash/index.js';

/** One run of a several-run call, as the answer lists it: enough to see which did what, the job id for the rest. */
export interface RunRow {
  readonly params: Readonly<Record<string, string>>;
  readonly job_id: string;
  readonly status: string;
  readonly exit_code?: number | null;
  readonly duration_ms?: number;
  readonly servers?: string;
  readonly last_line?: string;
}

const LINE_MAX = 200;

function lastLine(text: string): string | undefined {
  const line = text.trimEnd().split('\n').at(-1);
  if (!line) return undefined;
  return line.length > LINE_MAX ? `${line.slice(0, LINE_MAX - 1)}…` : line;
}

export function runRow(params: Readonly<Record<string, string>>, o: RemoteBashOutcome): RunRow {
  if (o.kind === 'finished') {
    const r = o.result;
    const last = lastLine(r.stderr && r.status !== 'completed' ? r.stderr : r.stdout || r.stderr);
    return {
      params,
      job_id: r.job_id,
      status: r.status,
      exit_code: r.exit_code,
      duration_ms: r.duration_ms,
      ...(last ? { last_line: last } : {}),
    };
  }
  if (o.kind === 'batch') {
    const c = o.view.counts;
    const servers = `${c.completed ?? 0}/${o.view.total} completed, ${(c.failed ?? 0) + (c.lost ?? 0)} failed`;
    return { params, job_id: o.job.id, status: o.job.status, servers };
  }
  const last = o.tail.lines.at(-1)?.text;
  return { params, job_id: o.job.id, status: o.job.status, ...(last ? { last_line: lastLine(last) } : {}) };
}

/** Failures first, so a model reading the top sees what went wrong. */
export function runsText(head: string, rows: readonly RunRow[]): string {
  const rank = (s: string) => (s === 'failed' || s === 'lost' ? 0 : s === 'cancelled' ? 1 : s === 'completed' ? 3 : 2);
  const sorted = [...rows].sort((a, b) => rank(a.status) - rank(b.status));
  const lines = sorted.map((r) => {
    const params = Object.entries(r.params)
      .map(([k, v]) => `${k}=${v.length > 40 ? `${v.slice(0, 39)}…` : v}`)
      .join(' ');
    const exit = r.exit_code !== undefined && r.exit_code !== null ? ` exit ${r.exit_code}` : '';
    const took = r.duration_ms !== undefined ? ` (${r.duration_ms} ms)` : '';
    const servers = r.servers ? ` [${r.servers}]` : '';
    const last = r.last_line ? `: ${r.last_line}` : '';
    return `- ${r.job_id} ${r.status}${exit}${took}${servers} ${params || '(defaults)'}${last}`;
  });
  const open = rows.filter((r) => r.status === 'queued' || r.status === 'running').length;
  const follow = open
    ? `\n${open} still under way: get-job-status {"job_id": "…", "wait_s": 20} follows one; cancel-job stops one.`
    : '';
  return `${head}\n${lines.join('\n')}${follow}`;
}
