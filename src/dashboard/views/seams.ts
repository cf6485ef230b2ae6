import type { TemplateDetail, TemplateSummary } from '../sources.js';
import { duration, statusBadge, when } from './format.js';
import { html, type Html } from './html.js';
import { layout, type Chrome } from './layout.js';

// Pages for data this version does not have yet (templates, schedules). Each renders its
// view model when the lead wires a source (sources.ts), and says plainly that the feature is missing otherwise.

export function notYetPage(chrome: Chrome, title: string, active: string, what: string): Html {
  return layout(
    chrome,
    title,
    active,
    html`<h1>${title}</h1>
      <p class="muted">${what} are not available in this version of deckhand.</p>`,
  );
}

const pct = (r: number | null) => (r === null ? '—' : `${Math.round(r * 100)} %`);

export function templatesPage(
  chrome: Chrome,
  ts: readonly TemplateSummary[],
  active: '/templates' | '/schedules',
): Html {
  const shown = active === '/schedules' ? ts.filter((t) => t.schedule) : ts;
  return layout(
    chrome,
    active === '/schedules' ? 'Schedules' : 'Templates',
    active,
    html`<h1>${active === '/schedules' ? 'Schedules' : 'Templates'}</h1>
      <table>
        <thead>
          <tr>
            <th>Template</th>
            <th>Schedule</th>
            <th>Next run</th>
            <th>Last run</th>
            <th>Success</th>
            <th>p50 / p95</th>
          </tr>
        </thead>
        <tbody>
          ${shown.map(
            (t) =>
              html`<tr>
                <td><a href="/templates/${encodeURIComponent(t.id)}">${t.name}</a></td>
                <td>
                  ${t.schedule ? html`${t.schedule.in_words} <span class="muted">(${t.schedule.tz}${t.schedule.paused ? ', paused' : ''})</span>` : '—'}
                </td>
                <td>${when(t.schedule?.next_runs[0])}</td>
                <td>
                  ${t.last_run ? html`<a href="/jobs/${t.last_run.job_id}">${statusBadge(t.last_run.status)}</a> ${when(t.last_run.at)}` : '—'}
                </td>
                <td>${pct(t.success_rate)}</td>
                <td>${duration(t.p50_ms)} / ${duration(t.p95_ms)}</td>
              </tr>`,
          )}
        </tbody>
      </table>`,
  );
}

export function templatePage(chrome: Chrome, t: TemplateDetail): Html {
  return layout(
    chrome,
    `Template ${t.name}`,
    '/templates',
    html`<h1>Template ${t.name}</h1>
      ${t.description ? html`<p>${t.description}</p>` : ''}
      ${
        t.schedule
          ? html`<p>
                <code>${t.schedule.expression}</code>: ${t.schedule.in_words}
                (${t.schedule.tz})${t.schedule.paused ? ', paused' : ''}
              </p>
              <h2>Next runs</h2>
              <ul>
                ${t.schedule.next_runs.map((r) => html`<li>${when(r)}</li>`)}
              </ul>`
          : ''
      }
      <p>Success ${pct(t.success_rate)}; p50 ${duration(t.p50_ms)}, p95 ${duration(t.p95_ms)}.</p>
      <h2>History</h2>
      <table>
        <thead>
          <tr>
            <th>Job</th>
            <th>State</th>
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
                <td>${when(h.at)}</td>
                <td>${duration(h.duration_ms)}</td>
              </tr>`,
          )}
        </tbody>
      </table>`,
  );
}
