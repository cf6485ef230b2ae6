import { isTerminal } from '../../jobs/index.js';
import { groupOutcome, progressLine } from '../../remote-bash/index.js';
import type { BatchChildView, BatchDetail, BatchGroupView, BatchSummary } from '../sources.js';
import { duration, statusBadge, when } from './format.js';
import { html, type Html } from './html.js';
import { csrfField, layout, type Chrome } from './layout.js';

/** "11/12 done, 1 failed, 1 running": the progress line the MCP answer shows too. */
export function countsText(c: BatchSummary['counts'], total: number): string {
  return progressLine(c, total);
}

export function batchesPage(chrome: Chrome, batches: readonly BatchSummary[], next: string | null): Html {
  return layout(
    chrome,
    'Batches',
    '/batches',
    html`<h1>Batches</h1>
      ${
        batches.length
          ? html`<table class="batches">
              <thead>
                <tr>
                  <th>Batch</th>
                  <th>State</th>
                  <th>Servers</th>
                  <th>Progress</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                ${batches.map(
                  (b) =>
                    html`<tr>
                      <td><a href="/batches/${b.id}">${b.title}</a></td>
                      <td>${statusBadge(b.status)}</td>
                      <td>${b.total}</td>
                      <td>${countsText(b.counts, b.total)}</td>
                      <td>${when(b.created_at)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="muted">No batches yet. An assistant starts one with remote-bash on several servers.</p>`
      }
      ${next ? html`<a href="/batches?cursor=${next}" rel="next">Older</a>` : ''}`,
  );
}

export interface BatchActions {
  readonly cancel: boolean;
  readonly runAgain: boolean;
  readonly retry: boolean;
}

export function batchPage(chrome: Chrome, b: BatchDetail, can: BatchActions): Html {
  const live = !isTerminal(b.status);
  const from = b.cursor ?? 0;
  return layout(
    chrome,
    `Batch ${b.title}`,
    '/batches',
    html`<h1>Batch ${b.title} ${statusBadge(b.status, 'batch-status')}</h1>
      <p>
        <span id="batch-counts">${countsText(b.counts, b.total)}</span> ·
        <a href="/jobs/${b.id}">parent job ${b.id}</a
        >${b.rerun_of ? html` · repeats <a href="/batches/${b.rerun_of}">${b.rerun_of}</a>` : ''}
      </p>
      ${batchActions(chrome, b, can)}
      <table
        class="batch-children"
        id="batch-children"
        ${live ? html` data-events="/batches/${b.id}/events${from ? `?cursor=${from}` : ''}"` : ''}
      >
        <thead>
          <tr>
            <th>Server</th>
            <th>Job</th>
            <th>State</th>
            <th>Exit</th>
            <th>Ran</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          ${b.children.map(childRow)}
        </tbody>
      </table>
      ${
        from > 0 || b.next_cursor !== undefined
          ? html`<p>
              Servers ${from + 1}..${from + b.children.length} of ${b.total}, failures first.
              ${from > 0 ? html`<a href="/batches/${b.id}">First</a>` : ''}
              ${b.next_cursor !== undefined ? html`<a href="/batches/${b.id}?cursor=${b.next_cursor}" rel="next">Next servers</a>` : ''}
            </p>`
          : ''
      }
      <p id="live" class="muted">${live ? 'Following the batch live…' : 'The batch has ended.'}</p>
      <h2>Outputs</h2>
      ${
        b.groups.length
          ? b.groups.map(group)
          : html`<p class="muted">No server of this page has finished yet: outputs appear as servers end.</p>`
      }`,
  );
}

function batchActions(chrome: Chrome, b: BatchDetail, can: BatchActions): Html | string {
  const failed = (b.counts.failed ?? 0) + (b.counts.lost ?? 0) + (b.counts.cancelled ?? 0) > 0;
  const cancel = can.cancel && !isTerminal(b.status);
  const retry = can.retry && failed && isTerminal(b.status) && b.status !== 'completed';
  if (!cancel && !can.runAgain && !retry) return '';
  return html`<div class="actions">
    ${cancel ? html`<a class="button danger" href="/jobs/${b.id}/cancel" data-when-active>Cancel every server…</a>` : ''}
    ${
      can.runAgain
        ? html`<form method="post" action="/jobs/${b.id}/run-again" class="inline">
            ${csrfField(chrome)}<button type="submit">Run again on every server</button>
          </form>`
        : ''
    }
    ${
      retry
        ? html`<form method="post" action="/jobs/${b.id}/retry" class="inline">
            ${csrfField(chrome)}<button type="submit">Retry the failed servers</button>
          </form>`
        : ''
    }
  </div>`;
}

function childRow(c: BatchChildView): Html {
  return html`<tr data-job="${c.job_id}">
    <td>${c.server}</td>
    <td><a href="/jobs/${c.job_id}">${c.job_id}</a></td>
    <td class="child-status">${statusBadge(c.status)}</td>
    <td class="child-exit">${c.exit_code ?? '—'}</td>
    <td class="child-ran">${duration(c.duration_ms)}</td>
    <td class="child-error">${c.error ? html`<code>${c.error.code}</code> ${c.error.message}` : ''}</td>
  </tr>`;
}

function group(g: BatchGroupView): Html {
  const how = groupOutcome(g);
  return html`<section class="group group-${g.status}">
    <h3>
      <span class="servers">${g.servers}</span>
      <span class="muted">(${g.count} server${g.count === 1 ? '' : 's'}): ${how}</span>
    </h3>
    ${g.stdout ? html`<pre class="out">${g.stdout}</pre>` : ''}
    ${g.stderr ? html`<pre class="err">${g.stderr}</pre>` : ''}
    ${!g.stdout && !g.stderr ? html`<p class="muted">No output.</p>` : ''}
  </section>`;
}
