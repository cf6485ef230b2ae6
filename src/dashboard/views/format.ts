import type { Job, JobStatus } from '../../jobs/index.js';
import { html, type Html } from './html.js';

export function statusBadge(status: JobStatus, id?: string): Html {
  return html`<span class="status status-${status}" ${id ? html` id="${id}"` : ''}>${status}</span>`;
}

/** "2026-05-01 14:03:07 UTC": absolute, unambiguous, the same for everyone reading a shared link. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h} h ${m % 60} min` : `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** How long the job ran (or has been running, as of `now`). */
export function runTime(j: Pick<Job, 'started_at' | 'finished_at'>, now = Date.now()): number | null {
  if (!j.started_at) return null;
  const end = j.finished_at ? Date.parse(j.finished_at) : now;
  return end - Date.parse(j.started_at);
}

/** A one-line description of what a job does: its command, app or step, whatever its parameters say first. */
export function jobWhat(j: Pick<Job, 'type' | 'params'>): string {
  const p = j.params as Record<string, unknown>;
  for (const k of ['command', 'app', 'name', 'template']) {
    const v = p[k];
    if (typeof v === 'string' && v) return v.length > 120 ? `${v.slice(0, 117)}…` : v;
  }
  return j.type;
}

export function shortId(id: string): string {
  return id.length > 14 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id;
}
