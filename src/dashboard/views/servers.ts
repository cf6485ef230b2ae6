import type { Job } from '../../jobs/index.js';
import type { Reachability } from '../sources.js';
import { jobWhat, shortId, when } from './format.js';
import { html, type Html } from './html.js';
import { layout, type Chrome } from './layout.js';

export interface ServerRow {
  readonly name: string;
  readonly address: string;
  readonly user: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly fingerprint: string;
  readonly keyType?: string | undefined;
  readonly provider?: string | undefined;
  readonly running: readonly Job[];
  readonly queued: number;
  /** The background probe's last answer; undefined: this dashboard does not check reachability. */
  readonly reachability?: Reachability | undefined;
}

export function serversPage(chrome: Chrome, rows: readonly ServerRow[], checksReachability: boolean): Html {
  return layout(
    chrome,
    'Servers',
    '/servers',
    html`<h1>Servers</h1>
      ${
        rows.length
          ? html`<table class="servers">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Address</th>
                  <th>Labels</th>
                  <th>Pinned host key</th>
                  ${checksReachability ? html`<th>Reachable</th>` : ''}
                  <th>Running jobs</th>
                </tr>
              </thead>
              <tbody>
                ${rows.map((r) => row(r, checksReachability))}
              </tbody>
            </table>`
          : html`<p class="muted">No servers registered. An assistant adds them with the add-server tool.</p>`
      }
      ${
        checksReachability
          ? html`<p class="muted">
              Reachability comes from a background probe (a live connection, or one SSH login closed at once) every
              minute while this page is looked at: loading it never connects.
            </p>`
          : html`<p class="muted">Reachability is not checked from this page in this version.</p>`
      }`,
  );
}

function row(r: ServerRow, checksReachability: boolean): Html {
  return html`<tr data-server="${r.name}">
    <td>
      <a href="/jobs?server=${encodeURIComponent(r.name)}">${r.name}</a
      >${r.provider ? html` <span class="muted">(${r.provider})</span>` : ''}
    </td>
    <td>${r.user}@${r.address}</td>
    <td>${Object.entries(r.labels).map(([k, v]) => html`<span class="label">${k}=${v}</span> `)}</td>
    <td>
      <code class="fingerprint">${r.fingerprint || 'not pinned'}</code
      >${r.keyType ? html` <span class="muted">${r.keyType}</span>` : ''}
    </td>
    ${checksReachability ? reachabilityCell(r.reachability) : ''}
    <td>
      ${
        r.running.length
          ? html`<ul class="plain">
              ${r.running.map((j) => html`<li><a href="/jobs/${j.id}">${shortId(j.id)}</a> <span class="what">${jobWhat(j)}</span></li>`)}
            </ul>`
          : html`<span class="muted">none</span>`
      }
      ${r.queued ? html`<span class="muted">${r.queued} queued</span>` : ''}
    </td>
  </tr>`;
}

function reachabilityCell(r: Reachability | undefined): Html {
  const state = r?.state ?? 'unknown';
  return html`<td class="reach reach-${state}" ${r?.error ? html` title="${r.error}"` : ''}>
    ${state === 'unknown' ? 'checking…' : state}${r?.checked_at ? html` <span class="muted">${when(r.checked_at)}</span>` : ''}
    ${r?.error ? html`<div class="muted">${r.error.length > 160 ? `${r.error.slice(0, 157)}…` : r.error}</div>` : ''}
  </td>`;
}
