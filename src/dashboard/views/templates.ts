import type { TemplateDetail, TemplateRunCounts, TemplateSummary } from '../sources.js';
import { duration, statusBadge, when } from './format.js';
import { html, type Html } from './html.js';
import { csrfField, layout, notices, type Chrome } from './layout.js';

// The templates and schedules pages: a list (the schedules page shows those with a schedule) and one template's
// page with its definition (env names, never values), statistics, versions, runs and schedule events, and the
// actions run now (a form with its parameters) and pause/resume, offered unless the dashboard is read-only.

const pct = (r: number | null | undefined) => (r === null || r === undefined ? '—' : `${Math.round(r * 100)} %`);

function scheduleCell(t: TemplateSummary): Html | string {
  const s = t.schedule;
  if (!s) return '—';
  // Cron descriptions name their zone already ("At 02:30 (Europe/Berlin)"); intervals do not.
  return html`${s.in_words}${s.in_words.includes(`(${s.tz})`) ? '' : html` <span class="muted">(${s.tz})</span>`}${
    s.paused ? html` <strong class="warn">paused</strong>` : ''
  }`;
}

function nextRuns(t: TemplateSummary): Html | string {
  const s = t.schedule;
  if (!s || s.paused || t.status === 'disabled') return '—';
  if (!s.next_runs.length) return 'none';
  return html`${when(s.next_runs[0])}${
    s.next_runs.length > 1
      ? html`<br /><span class="muted">then ${s.next_runs.slice(1, 3).map(when).join(', ')}</span>`
      : ''
  }`;
}

export function templatesPage(
  chrome: Chrome,
  ts: readonly TemplateSummary[],
  active: '/templates' | '/schedules',
  messages: readonly string[] = [],
): Html {
  const schedules = active === '/schedules';
  const shown = schedules ? ts.filter((t) => t.schedule) : ts;
  const title = schedules ? 'Schedules' : 'Templates';
  const empty = schedules
    ? 'No template has a schedule.'
    : 'No templates yet: an assistant saves them with the save-template tool.';
  return layout(
    chrome,
    title,
    active,
    html`<h1>${title}</h1>
      ${notices(messages)}
      ${
        shown.length
          ? html`<table id="templates">
              <thead>
                <tr>
                  <th>Template</th>
                  <th>Status</th>
                  <th>Schedule</th>
                  <th>Next runs</th>
                  <th>Last run</th>
                  <th>Runs</th>
                  <th>Success</th>
                  <th>p50 / p95</th>
                </tr>
              </thead>
              <tbody>
                ${shown.map(
                  (t) =>
                    html`<tr data-template="${t.id}">
                      <td><a href="/templates/${encodeURIComponent(t.id)}">${t.name}</a></td>
                      <td>
                        ${t.status ?? '—'}${t.version !== undefined ? html` <span class="muted">v${t.version}</span>` : ''}
                      </td>
                      <td>${scheduleCell(t)}</td>
                      <td>${nextRuns(t)}</td>
                      <td>
                        ${t.last_run ? html`<a href="/jobs/${t.last_run.job_id}">${statusBadge(t.last_run.status)}</a> ${when(t.last_run.at)}` : '—'}
                      </td>
                      <td>${t.runs ?? '—'}</td>
                      <td>${pct(t.success_rate)}</td>
                      <td>${duration(t.p50_ms)} / ${duration(t.p95_ms)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="muted">${empty}</p>`
      }`,
  );
}

function countsLine(s: TemplateRunCounts): Html {
  return html`${s.runs} runs: ${s.completed} completed, ${s.failed} failed, ${s.cancelled} cancelled, ${s.lost} lost,
  ${s.active} active. Success ${pct(s.success_rate)}; p50 ${duration(s.p50_ms)}, p95 ${duration(s.p95_ms)}.`;
}

export interface TemplatePageModel {
  readonly template: TemplateDetail;
  readonly notices: readonly string[];
  readonly actions: { readonly run: boolean; readonly pause: boolean };
}

export function templatePage(chrome: Chrome, m: TemplatePageModel): Html {
  const t = m.template;
  const d = t.definition;
  const s = t.schedule;
  const path = `/templates/${encodeURIComponent(t.id)}`;
  const can = !chrome.readonly;
  return layout(
    chrome,
    `Template ${t.name}`,
    '/templates',
    html`<h1>Template ${t.name}</h1>
      ${notices(m.notices)} ${t.description ? html`<p>${t.description}</p>` : ''}
      <p>
        <span id="template-status">${t.status ?? 'enabled'}</span
        >${t.version !== undefined ? html`, version ${t.version}` : ''} ·
        <a href="/jobs?template=${encodeURIComponent(t.id)}">its jobs</a>
      </p>
      ${
        d
          ? html`<h2>Definition</h2>
              <dl class="facts">
                <dt>Command</dt>
                <dd><pre>${d.command}</pre></dd>
                <dt>Target</dt>
                <dd>
                  ${d.target}${d.options.length ? html` <span class="muted">(${d.options.join(', ')})</span>` : ''}
                </dd>
                <dt>Env</dt>
                <dd>
                  ${d.env_keys.length ? html`${d.env_keys.join(', ')} <span class="muted">(values are kept secret)</span>` : '—'}
                </dd>
              </dl>`
          : ''
      }
      ${
        s
          ? html`<h2>Schedule</h2>
              <p id="schedule">
                <code>${s.expression}</code>: ${s.in_words}, in
                ${s.tz}${s.paused ? html` — <strong class="warn" id="paused">paused</strong>` : ''}
                ${s.policy ? html`<br /><span class="muted">${s.policy}</span>` : ''}
              </p>
              <p>Next runs${s.paused ? ' (if resumed)' : ''}:</p>
              <ul id="next-runs">
                ${s.next_runs.map((r) => html`<li>${when(r)} <span class="muted">(${r})</span></li>`)}
              </ul>
              ${t.last_slot !== undefined ? html`<p>Last slot handled: ${when(t.last_slot)}</p>` : ''}
              ${
                can && m.actions.pause
                  ? html`<form method="post" action="${path}/${s.paused ? 'resume' : 'pause'}" class="inline">
                      ${csrfField(chrome)}<button type="submit" id="${s.paused ? 'resume' : 'pause'}">
                        ${s.paused ? 'Resume the schedule' : 'Pause the schedule'}
                      </button>
                    </form>`
                  : ''
              }`
          : ''
      }
      ${can && m.actions.run ? runForm(chrome, t, path) : ''}
      <h2>Statistics</h2>
      ${
        t.stats
          ? html`<p id="stats">${countsLine(t.stats)}</p>
              ${t.version_stats && t.version !== undefined ? html`<p class="muted">Version ${t.version} alone: ${countsLine(t.version_stats)}</p>` : ''}`
          : html`<p>Success ${pct(t.success_rate)}; p50 ${duration(t.p50_ms)}, p95 ${duration(t.p95_ms)}.</p>`
      }
      ${
        t.versions?.length
          ? html`<h2>Versions</h2>
              <table>
                <thead>
                  <tr>
                    <th>Version</th>
                    <th>Saved</th>
                    <th>Changed</th>
                  </tr>
                </thead>
                <tbody>
                  ${t.versions.map(
                    (v) =>
                      html`<tr>
                        <td>v${v.version}</td>
                        <td>${when(v.at)}</td>
                        <td>${v.changed.length ? v.changed.join(', ') : 'created'}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
          : ''
      }
      <h2>History</h2>
      ${
        t.history.length
          ? html`<table id="history">
              <thead>
                <tr>
                  <th>Job</th>
                  <th>State</th>
                  <th>Version</th>
                  <th>Trigger</th>
                  <th>At</th>
                  <th>Ran</th>
                </tr>
              </thead>
              <tbody>
                ${t.history.map(
                  (h) =>
                    html`<tr>
                      <td><a href="/jobs/${h.job_id}">${h.job_id}</a></td>
                      <td>${statusBadge(h.status)}</td>
                      <td>${h.version === null || h.version === undefined ? '—' : `v${h.version}`}</td>
                      <td>${h.trigger ?? '—'}</td>
                      <td>${when(h.at)}</td>
                      <td>${duration(h.duration_ms)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="muted">No runs yet.</p>`
      }
      ${
        t.events?.length
          ? html`<h2>Schedule events</h2>
              <p class="muted">
                Slots that did not run: skipped while a run was active, or missed (late, caught up, refused by policy).
              </p>
              <table id="events">
                <thead>
                  <tr>
                    <th>Slot</th>
                    <th>What</th>
                    <th>Why</th>
                  </tr>
                </thead>
                <tbody>
                  ${t.events.map(
                    (e) =>
                      html`<tr>
                        <td>${when(e.slot)}</td>
                        <td>${e.kind}${e.count > 1 ? ` ×${e.count}` : ''}</td>
                        <td>${e.reason}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
          : ''
      }`,
  );
}

function runForm(chrome: Chrome, t: TemplateDetail, path: string): Html {
  if (t.status === 'disabled')
    return html`<p class="muted">Disabled: it does not run (enable it with save-template).</p>`;
  return html`<h2>Run now</h2>
    <form method="post" action="${path}/run" class="run-now">
      ${csrfField(chrome)}
      ${t.params.map(
        (p) =>
          html`<label
            >${p.name}${p.required ? ' (required)' : ''}
            <input name="param.${p.name}" value="${p.default ?? ''}" ${p.required ? html` required` : ''} />
            ${p.description ? html`<span class="muted">${p.description}</span>` : ''}
          </label>`,
      )}
      <button type="submit" id="run-now">Run now</button>
      <span class="muted">Policy applies as to an assistant's call; the audit log names you.</span>
    </form>`;
}
