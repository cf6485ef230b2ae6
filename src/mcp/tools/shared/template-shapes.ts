import type {
  RunDefaults,
  RunRow,
  SaveInput,
  TemplateDefinition,
  TemplateDetail,
  TemplateTarget,
  TemplateView,
} from '../../../templates/index.js';

export type { RunDefaults, SaveInput, TemplateView };
export type StoredTemplateTarget = TemplateTarget;
type RunStats = TemplateDetail['stats'];

/** Every answer about templates stays under this (tools/call results and the resource). */
export const TEMPLATE_ANSWER_BYTES = 20 * 1024;

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** Statistics with times as ISO strings and the last failure's error as its message. */
export function statsView(s: RunStats) {
  const err = s.last_failure?.error as { message?: unknown } | string | null | undefined;
  const message = typeof err === 'string' ? err : typeof err?.message === 'string' ? err.message : null;
  const { last_run: _run, last_failure: _failure, ...counts } = s;
  return {
    ...counts,
    last_run: s.last_run
      ? { job_id: s.last_run.job_id, status: s.last_run.status, at: iso(s.last_run.created_at) }
      : null,
    last_failure: s.last_failure
      ? {
          job_id: s.last_failure.job_id,
          status: s.last_failure.status,
          at: iso(s.last_failure.finished_at),
          error: message ? message.slice(0, 300) : null,
        }
      : null,
  };
}

export function scheduleOf(t: TemplateView, next = 5) {
  return t.schedule
    ? {
        description: t.schedule.description,
        tz: t.schedule.tz,
        suspended: t.schedule.suspended,
        next_runs: t.schedule.next_runs.slice(0, next),
        spec: t.schedule.spec,
      }
    : null;
}

export function scheduleText(t: TemplateView): string {
  const s = t.schedule;
  if (!s) return 'No schedule: it runs when run-template asks.';
  const next = s.suspended
    ? 'paused (save-template {schedule: {suspend: false}} resumes it)'
    : s.next_runs.length
      ? `next runs (${s.tz}): ${s.next_runs.join(', ')}`
      : 'no further runs';
  return `Schedule: ${s.description}; ${next}.`;
}

function pct(r: number | null): string {
  return r === null ? 'n/a' : `${Math.round(r * 1000) / 10}%`;
}

function ms(v: number | null): string {
  return v === null ? 'n/a' : v < 1000 ? `${v} ms` : `${(v / 1000).toFixed(1)} s`;
}

export function statsText(s: RunStats): string {
  if (s.runs === 0) return 'no runs yet';
  const last = s.last_run ? `; last run ${s.last_run.job_id} ${s.last_run.status}` : '';
  return (
    `${s.runs} runs: ${s.completed} completed, ${s.failed} failed${s.lost ? `, ${s.lost} lost` : ''}` +
    `${s.cancelled ? `, ${s.cancelled} cancelled` : ''}${s.active ? `, ${s.active} active` : ''}; success ${pct(s.success_rate)}; ` +
    `p50 ${ms(s.p50_ms)}, p95 ${ms(s.p95_ms)}${last}`
  );
}

function targetText(t: TemplateTarget): string {
  if (t.server) return t.server;
  if (t.servers)
    return t.servers.length > 5
      ? `${t.servers.slice(0, 5).join(', ')} and ${t.servers.length - 5} more`
      : t.servers.join(', ');
  return `selector ${t.selector ?? '?'}`;
}

/** One template in a page of list-templates. */
export function summaryOf(t: TemplateView, stats: RunStats) {
  const s = scheduleOf(t, 1);
  return {
    name: t.name,
    status: t.status,
    version: t.version,
    description: t.description.slice(0, 200),
    target: t.target,
    schedule: s ? { description: s.description, suspended: s.suspended, next_run: s.next_runs[0] ?? null } : null,
    stats: statsView(stats),
  };
}

export function summaryText(t: TemplateView, stats: RunStats): string {
  const s = t.schedule;
  const when = s
    ? `${s.description}${s.suspended ? ' (paused)' : s.next_runs[0] ? `, next ${s.next_runs[0]}` : ''}`
    : 'no schedule';
  return `${t.name} v${t.version} ${t.status} on ${targetText(t.target)}; ${when}; ${statsText(stats)}`;
}

export function runRowText(r: RunRow): string {
  const how = r.trigger === 'schedule' ? `slot ${r.slot ?? '?'}` : (r.trigger ?? 'manual');
  const took = r.duration_ms !== null ? ` in ${ms(r.duration_ms)}` : '';
  const exit = r.exit_code !== null ? ` exit ${r.exit_code}` : '';
  const err = r.error ? ` (${r.error.slice(0, 120)})` : '';
  return `${r.job_id} v${r.version ?? '?'} ${how} ${r.status}${exit}${took} at ${r.created_at}${err}`;
}

const PRIORITIES = ['high', 'normal', 'low'] as const;

/** What a run of this version gets unless the call says otherwise, as save-template takes it. */
export function runDefaultsOf(def: TemplateDefinition) {
  const r = def.run;
  return {
    ...(def.cwd !== undefined ? { cwd: def.cwd } : {}),
    ...(def.timeout_s !== undefined ? { timeout_s: def.timeout_s } : {}),
    ...(def.sudo ? { sudo: true } : {}),
    ...(r.priority !== undefined ? { priority: PRIORITIES[r.priority] ?? 'normal' } : {}),
    ...(r.retry
      ? {
          attempts: r.retry.attempts,
          retry_on: [...r.retry.retry_on, ...(r.retry.idempotent ? ['lost'] : [])],
          backoff: r.retry.backoff.kind,
          backoff_s: r.retry.backoff.initial_s,
        }
      : {}),
    ...(r.active_deadline_s !== undefined ? { active_deadline_s: r.active_deadline_s } : {}),
    ...(r.ttl_after_finished_s !== undefined ? { ttl_after_finished_s: r.ttl_after_finished_s } : {}),
    history: def.history,
  };
}

/** One template in detail: definition, versions, recent runs, schedule events, statistics of all runs and of this version. */
export function detailOf(d: TemplateDetail, def?: TemplateDefinition) {
  const t = d.template;
  return {
    name: t.name,
    id: t.id,
    status: t.status,
    version: t.version,
    description: t.description,
    command: t.command.length > 4096 ? `${t.command.slice(0, 4096)}…` : t.command,
    target: t.target,
    params: t.params,
    env_keys: t.env_keys,
    ...(def ? { defaults: runDefaultsOf(def) } : {}),
    schedule: scheduleOf(t),
    last_slot: d.last_slot,
    stats: statsView(d.stats),
    version_stats: statsView(d.version_stats),
    versions: d.versions,
    recent_runs: d.recent_runs.map((r) => ({ ...r, error: r.error ? r.error.slice(0, 300) : null })),
    schedule_events: d.schedule_events.map((e) => ({
      slot: iso(e.slot),
      kind: e.kind,
      reason: e.reason.slice(0, 200),
      count: e.count,
      at: iso(e.at),
    })),
    created_at: t.created_at,
    updated_at: t.updated_at,
  };
}

export function detailText(d: TemplateDetail, def?: TemplateDefinition): string {
  const t = d.template;
  const cmd = t.command.length > 2000 ? `${t.command.slice(0, 2000)}…` : t.command;
  const lines = [
    `Template "${t.name}" version ${t.version}, ${t.status}, on ${targetText(t.target)}${t.description ? `: ${t.description.slice(0, 300)}` : ''}`,
    `Command: ${cmd}`,
  ];
  if (t.params.length)
    lines.push(
      `Params: ${t.params.map((p) => `${p.name}${p.required ? ' (required)' : ''}${p.default !== undefined ? `=${p.default}` : ''}${p.pattern ? ` /${p.pattern}/` : ''}`).join(', ')}`,
    );
  if (t.env_keys.length) lines.push(`Env (values kept secret): ${t.env_keys.join(', ')}`);
  if (def) {
    const { history, ...rest } = runDefaultsOf(def);
    const shown = Object.entries(rest).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : String(v)}`);
    lines.push(`Defaults: ${[...shown, `history=${history.successful}/${history.failed}`].join(', ')}`);
  }
  lines.push(scheduleText(t));
  lines.push(`All runs: ${statsText(d.stats)}`, `Version ${t.version}: ${statsText(d.version_stats)}`);
  if (d.versions.length)
    lines.push(
      'Versions:',
      ...d.versions.map(
        (v) => `  v${v.version} ${v.created_at}${v.changed.length ? ` changed ${v.changed.join(', ')}` : ''}`,
      ),
    );
  if (d.recent_runs.length) lines.push('Recent runs:', ...d.recent_runs.map((r) => `  ${runRowText(r)}`));
  if (d.schedule_events.length)
    lines.push(
      'Schedule events:',
      ...d.schedule_events.map(
        (e) => `  ${iso(e.slot)} ${e.kind}${e.count > 1 ? ` (${e.count} slots)` : ''}: ${e.reason.slice(0, 200)}`,
      ),
    );
  lines.push(`list-jobs {"template": "${t.name}"} lists all its runs.`);
  return lines.join('\n');
}

/** Cuts a list (from the end) until the JSON and text answers fit the budget; says how many were left. */
export function fitBudget<T>(
  items: readonly T[],
  size: (kept: readonly T[]) => number,
): { kept: T[]; dropped: number } {
  let kept = [...items];
  while (kept.length > 1 && size(kept) > TEMPLATE_ANSWER_BYTES)
    kept = kept.slice(0, Math.max(1, Math.floor(kept.length * 0.8)));
  return { kept, dropped: items.length - kept.length };
}
