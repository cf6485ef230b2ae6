import { JOB_STATUSES, type Job } from '../../jobs/index.js';
import { queryString, type JobQuery, type SearchResult } from '../job-search.js';
import { duration, jobWhat, runTime, statusBadge, when } from './format.js';
import { html, type Html } from './html.js';
import { layout, notices, type Chrome } from './layout.js';

export interface JobsModel {
  readonly query: JobQuery;
  readonly result: SearchResult;
  readonly problems: readonly string[];
  readonly servers: readonly string[];
  /** Template names for the filter; undefined until templates exist (the filter is then not offered). */
  readonly templates: readonly string[] | undefined;
}

export function jobsPage(chrome: Chrome, m: JobsModel): Html {
  const q = m.query;
  const r = m.result;
  const filtered = Boolean(q.state || q.server || q.type || q.template || q.text);
  return layout(
    chrome,
    'Jobs',
    '/jobs',
    html`<h1>Jobs</h1>
      ${notices(m.problems)}
      <form method="get" action="/jobs" class="filters" role="search">
        <label
          >State
          <select name="state">
            <option value="">any</option>
            ${JOB_STATUSES.map((s) => html`<option value="${s}" ${q.state === s ? ' selected' : ''}>${s}</option>`)}
          </select>
        </label>
        <label
          >Server
          <select name="server">
            <option value="">any</option>
            ${m.servers.map((s) => html`<option value="${s}" ${q.server === s ? ' selected' : ''}>${s}</option>`)}
          </select>
        </label>
        <label>Type <input name="type" value="${q.type ?? ''}" placeholder="remote-bash" size="12" /></label>
        ${
          m.templates
            ? html`<label
                >Template
                <select name="template">
                  <option value="">any</option>
                  ${m.templates.map((t) => html`<option value="${t}" ${q.template === t ? ' selected' : ''}>${t}</option>`)}
                </select>
              </label>`
            : ''
        }
        <label>Text <input name="text" type="search" value="${q.text ?? ''}" placeholder="id, command, error" /></label>
        <button type="submit">Filter</button>
        ${filtered ? html`<a href="/jobs">Clear</a>` : ''}
      </form>
      ${r.jobs.length ? jobsTable(r.jobs) : html`<p class="muted">No jobs match.</p>`}
      <nav class="pager" aria-label="Pages">
        ${q.cursor ? html`<a href="/jobs${queryString(q, { cursor: undefined })}" rel="first">Newest</a>` : ''}
        ${
          r.next_cursor
            ? html`<a href="/jobs${queryString(q, { cursor: r.next_cursor })}" rel="next">Older</a>`
            : html`<span class="muted">End of the list.</span>`
        }
        ${
          r.partial
            ? html`<span class="muted">Searched ${r.scanned} jobs for this page; "Older" continues the search.</span>`
            : ''
        }
      </nav>`,
  );
}

function jobsTable(jobs: readonly Job[]): Html {
  return html`<table class="jobs">
    <thead>
      <tr>
        <th>Job</th>
        <th>State</th>
        <th>Type</th>
        <th>Server</th>
        <th>What</th>
        <th>Created</th>
        <th>Ran</th>
        <th>Exit</th>
      </tr>
    </thead>
    <tbody>
      ${jobs.map(
        (j) =>
          html`<tr data-job="${j.id}">
            <td><a href="/jobs/${j.id}">${j.id}</a></td>
            <td>${statusBadge(j.status)}</td>
            <td>${j.type}</td>
            <td>${j.server ?? '—'}</td>
            <td class="what">${jobWhat(j)}</td>
            <td>${when(j.created_at)}</td>
            <td>${duration(runTime(j))}</td>
            <td>${j.exit_code ?? '—'}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}
