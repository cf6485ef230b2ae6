import type { LogLine } from '../../jobs/index.js';
import { isTerminal, type Job } from '../../jobs/index.js';
import { maskParams } from '../mask.js';
import { duration, jobWhat, runTime, statusBadge, when } from './format.js';
import { html, type Html } from './html.js';
import { csrfField, layout, notices, type Chrome } from './layout.js';

export interface LogView {
  /** Set when paging from a position (jump to start); unset for the tail, which follows live. */
  readonly from?: number | undefined;
  readonly stream: 'all' | 'stdout' | 'stderr';
  readonly grep?: string | undefined;
}

export interface JobModel {
  readonly job: Job;
  readonly lines: readonly LogLine[];
  readonly next_cursor: number;
  readonly has_more: boolean;
  readonly total_lines: number;
  readonly removed?: string | undefined;
  readonly view: LogView;
  /** The Server-Sent Events URL that follows the log; set while the job can still write lines. */
  readonly eventsUrl?: string | undefined;
  readonly actions: { readonly cancel: boolean; readonly runAgain: boolean; readonly retry: boolean };
  readonly hint?: string | undefined;
  readonly notices: readonly string[];
}

export function logQuery(v: LogView, from?: number): string {
  const p = new URLSearchParams();
  if (from !== undefined) p.set('from', String(from));
  if (v.stream !== 'all') p.set('stream', v.stream);
  if (v.grep) p.set('grep', v.grep);
  const s = p.toString();
  return s ? `?${s}` : '';
}

export function jobPage(chrome: Chrome, m: JobModel): Html {
  const j = m.job;
  return layout(
    chrome,
    `Job ${j.id}`,
    '/jobs',
    html`<h1>Job <code>${j.id}</code> ${statusBadge(j.status, 'job-status')}</h1>
      ${notices(m.notices, 'info')}
      <p class="what">${jobWhat(j)}</p>
      ${actions(chrome, m)}
      <section class="facts">${facts(m)}</section>
      ${
        j.error
          ? html`<section class="error" id="job-error">
              <h2>Error</h2>
              <p><code>${j.error.code}</code>: ${j.error.message}</p>
              ${m.hint ? html`<p class="hint">${m.hint}</p>` : ''}
            </section>`
          : ''
      }
      <section>
        <h2>Parameters</h2>
        <pre class="params">${JSON.stringify(maskParams(j.params), null, 2)}</pre>
      </section>
      <section>${logSection(m)}</section>`,
  );
}

function actions(chrome: Chrome, m: JobModel): Html {
  const j = m.job;
  const a = m.actions;
  if (!a.cancel && !a.runAgain && !a.retry) return html``;
  return html`<div class="actions">
    ${
      a.cancel && !isTerminal(j.status)
        ? html`<a class="button danger" href="/jobs/${j.id}/cancel" data-when-active>Cancel…</a>`
        : ''
    }
    ${
      a.runAgain
        ? html`<form method="post" action="/jobs/${j.id}/run-again" class="inline">
            ${csrfField(chrome)}<button type="submit">Run again</button>
          </form>`
        : ''
    }
    ${
      a.retry && (j.status === 'failed' || j.status === 'lost')
        ? html`<form method="post" action="/jobs/${j.id}/retry" class="inline">
            ${csrfField(chrome)}<button type="submit">Retry</button>
          </form>`
        : ''
    }
  </div>`;
}

function facts(m: JobModel): Html {
  const j = m.job;
  const queuedFor = j.started_at ? Date.parse(j.started_at) - Date.parse(j.created_at) : null;
  const row = (k: string, v: Html | string | number) =>
    html`<tr>
      <th scope="row">${k}</th>
      <td>${v}</td>
    </tr>`;
  return html`<table class="kv">
    ${row('Type', j.type)}
    ${row('Server', j.server ? html`<a href="/jobs?server=${encodeURIComponent(j.server)}">${j.server}</a>` : '—')}
    ${row('Created', when(j.created_at))}
    ${row('Started', html`${when(j.started_at)}${queuedFor !== null ? html` <span class="muted">(queued ${duration(queuedFor)})</span>` : ''}`)}
    ${row('Finished', html`<span id="job-finished">${when(j.finished_at)}</span>`)}
    ${row('Ran for', duration(runTime(j)))} ${row('Attempts', j.attempt)}
    ${row('Exit code', html`<span id="job-exit">${j.exit_code ?? '—'}</span>`)}
    ${row('Time limit', duration(j.timeout_s * 1000))}
    ${
      j.progress.step || j.progress.message
        ? row('Progress', [j.progress.step, j.progress.message].filter(Boolean).join(' — '))
        : ''
    }
    ${j.cancel_requested_at ? row('Cancel requested', when(j.cancel_requested_at)) : ''}
    ${j.owner ? row('Run by', `${j.owner.host} (pid ${j.owner.pid})`) : ''}
    ${j.parent_id ? row('Batch', html`<a href="/batches/${j.parent_id}">${j.parent_id}</a>`) : ''}
    ${j.type === 'batch' ? row('Servers', html`<a href="/batches/${j.id}">per-server view</a>`) : ''} ${repeats(j)}
  </table>`;
}

/** "Retry of job_…" / "Run again of job_…": the job a dashboard action repeated. */
function repeats(j: Job): Html | string {
  const p = j.params;
  const [label, of] =
    typeof p['retry_of'] === 'string'
      ? ['Retry of', p['retry_of']]
      : typeof p['rerun_of'] === 'string'
        ? ['Run again of', p['rerun_of']]
        : ['', ''];
  return of
    ? html`<tr>
        <th scope="row">${label}</th>
        <td><a href="/jobs/${of}" id="repeats">${of}</a></td>
      </tr>`
    : '';
}

function logSection(m: JobModel): Html {
  const v = m.view;
  const live = m.eventsUrl !== undefined;
  return html`<h2 id="log-title">Log <span class="muted">(${m.total_lines} lines)</span></h2>
    <form method="get" class="log-tools" role="search">
      ${v.from !== undefined ? html`<input type="hidden" name="from" value="${v.from}" />` : ''}
      <label
        >Stream
        <select name="stream">
          ${(['all', 'stdout', 'stderr'] as const).map(
            (s) => html`<option value="${s}" ${v.stream === s ? ' selected' : ''}>${s}</option>`,
          )}
        </select>
      </label>
      <label>Grep <input name="grep" value="${v.grep ?? ''}" placeholder="regular expression" /></label>
      <button type="submit">Apply</button>
      <a href="${logQuery(v, 0)}#log-title">Jump to start</a>
      <a href="${logQuery(v)}#log-end" id="jump-end">Jump to end</a>
    </form>
    ${m.removed ? html`<p class="notice notice-info">${m.removed}</p>` : ''}
    <div id="log" class="log" tabindex="0" ${live ? html` data-events="${m.eventsUrl}"` : ''}>
      ${m.lines.map(logLine)}
    </div>
    <div id="log-end"></div>
    ${
      v.from !== undefined && m.has_more
        ? html`<p><a href="${logQuery(v, m.next_cursor)}#log-title" rel="next">Next lines</a></p>`
        : ''
    }
    <p id="live" class="muted">
      ${live ? 'Following the log live…' : isTerminal(m.job.status) ? 'The job has ended.' : ''}
    </p>`;
}

/** One line: the stream is a class (stderr and deckhand's own lines look different), the text is never markup. */
export function logLine(l: LogLine): Html {
  // One element, no whitespace around the text: lines keep their own spaces (white-space: pre-wrap).
  // prettier-ignore
  return html`<div class="ln ln-${l.stream}" data-seq="${l.seq}">${l.text}</div>`;
}

export function cancelConfirmPage(chrome: Chrome, j: Job): Html {
  return layout(
    chrome,
    `Cancel ${j.id}?`,
    '/jobs',
    html`<h1>Cancel job <code>${j.id}</code>?</h1>
      <p>${statusBadge(j.status)} ${j.type}${j.server ? ` on ${j.server}` : ''}: <code>${jobWhat(j)}</code></p>
      <p>
        ${
          j.status === 'queued'
            ? 'It has not started: it leaves the queue.'
            : 'deckhand sends TERM, then KILL after a short grace, to the whole process group on the server.'
        }
      </p>
      <form method="post" action="/jobs/${j.id}/cancel" class="inline">
        ${csrfField(chrome)}
        <button type="submit" class="danger">Yes, cancel it</button>
      </form>
      <a href="/jobs/${j.id}">No, keep it</a>`,
  );
}
