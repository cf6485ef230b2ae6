import { isTerminal, type Job } from '../jobs/index.js';

/**
 * Makes a value safe to show in one terminal cell: job params come from models and remote hosts, and a newline
 * or an escape sequence in them must neither break the layout nor drive the user's terminal.
 */
export function oneLine(s: string, max = Infinity): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/\r?\n/g, '⏎').replace(/[\u0000-\u001f\u007f-\u009f]/g, '�');
  return clean.length > max ? `${clean.slice(0, Math.max(0, max - 1))}…` : clean;
}

/** Local wall-clock time to the second: what a person compares with their own clock. */
export function formatTime(iso: string | null): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return oneLine(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/** How long the job has run so far, or ran; "-" before it starts. */
export function jobDuration(job: Job, now = Date.now()): string {
  if (!job.started_at) return '-';
  const end = job.finished_at ? Date.parse(job.finished_at) : now;
  return formatDuration(end - Date.parse(job.started_at));
}

/** What the job does, in a few words: the command for remote-bash, otherwise its params. */
export function describeWork(job: Job): string {
  const command = job.params.command;
  if (typeof command === 'string') return command;
  const keys = Object.keys(job.params);
  return keys.length ? JSON.stringify(job.params) : '';
}

/** Status with the detail that matters at a glance: the exit code, or a pending cancel. */
export function statusLabel(job: Job): string {
  if (job.status === 'failed' && job.exit_code !== null) return `failed (${job.exit_code})`;
  if (job.status === 'failed' && job.error?.code === 'timeout') return 'failed (timeout)';
  if (!isTerminal(job.status) && job.cancel_requested_at) {
    return `${job.status} (cancelling)`;
  }
  if (job.status === 'queued' && job.not_before !== null && Date.parse(job.not_before) > Date.now())
    return `scheduled (${formatTime(job.not_before)})`;
  return job.status;
}

/** Left-aligned columns separated by two spaces; the last column is never padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
