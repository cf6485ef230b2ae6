import type { AuditEntry } from '../../audit/index.js';
import type { AuditVerification } from '../sources.js';
import { duration, when } from './format.js';
import { html, type Html } from './html.js';
import { layout, type Chrome } from './layout.js';

function who(e: AuditEntry): string {
  const w = e.who;
  const parts = [
    w.person,
    w.client ? `${w.client.name} ${w.client.version}` : undefined,
    w.token ? `token ${w.token}` : undefined,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : `instance ${w.instance}`;
}

function what(e: AuditEntry): string {
  const text = e.command ?? e.tool ?? '';
  return text.length > 200 ? `${text.slice(0, 197)}…` : text;
}

function verification(v: AuditVerification): Html {
  return v.ok
    ? html`<p class="notice notice-info" id="chain-status">
        The chain verifies: ${v.count} entries, up to ${v.head_seq}, unedited and in order (checked
        ${when(v.checked_at)}, ${duration(v.took_ms)}). <a href="/audit?verify=now">Verify now</a>
      </p>`
    : html`<p class="notice notice-warn" id="chain-status">
        The chain does NOT verify: ${v.problem} (checked ${when(v.checked_at)}).
        <code>deckhand audit verify</code> names the entry. <a href="/audit?verify=now">Verify again</a>
      </p>`;
}

export function auditPage(
  chrome: Chrome,
  m: { readonly entries: readonly AuditEntry[]; readonly older: number | null; readonly verified: AuditVerification },
): Html {
  return layout(
    chrome,
    'Audit log',
    '/audit',
    html`<h1>Audit log</h1>
      ${verification(m.verified)}
      ${
        m.entries.length
          ? html`<table class="audit">
              <thead>
                <tr>
                  <th>#</th>
                  <th>When</th>
                  <th>Event</th>
                  <th>Who</th>
                  <th>Server</th>
                  <th>What</th>
                  <th>Decision</th>
                  <th>Outcome</th>
                </tr>
              </thead>
              <tbody>
                ${m.entries.map(
                  (e) =>
                    html`<tr data-seq="${e.seq}">
                      <td>${e.seq}</td>
                      <td>${when(e.at)}</td>
                      <td>${e.event}</td>
                      <td class="actor">${who(e)}</td>
                      <td>${e.server ?? ''}</td>
                      <td class="what">
                        ${what(e)}${e.job_id ? html` <a href="/jobs/${e.job_id}">job</a>` : ''}${e.approval_id ? html` <span class="muted">${e.approval_id}</span>` : ''}
                      </td>
                      <td>${e.decision ?? ''}${e.class ? html` <span class="muted">(${e.class})</span>` : ''}</td>
                      <td>${e.outcome ?? ''}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="muted">The audit log is empty.</p>`
      }
      ${m.older !== null ? html`<a href="/audit?before=${m.older}" rel="next">Older entries</a>` : ''}`,
  );
}
