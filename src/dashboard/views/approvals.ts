import type { ApprovalView } from '../sources.js';
import { when } from './format.js';
import { html, type Html } from './html.js';
import { csrfField, layout, notices, type Chrome } from './layout.js';

/** The overview's short list: what waits, linked to the approvals page. */
export function approvalsList(items: readonly ApprovalView[]): Html {
  return html`<ul>
    ${items.map(
      (a) =>
        html`<li>
          <a href="/approvals#${a.id}">${a.what}</a>
          <span class="muted">asked by ${a.requested_by}, ${when(a.requested_at)}</span>
        </li>`,
    )}
  </ul>`;
}

/** What is asked: each part with its class and why it needs a person, where, by whom, until when. */
export function approvalDetails(a: ApprovalView): Html {
  return html`<table class="kv">
      <tr>
        <th scope="row">Tool</th>
        <td>${a.tool}</td>
      </tr>
      <tr>
        <th scope="row">Servers</th>
        <td>${a.servers.length ? a.servers.join(', ') : 'none'}</td>
      </tr>
      <tr>
        <th scope="row">Asked by</th>
        <td>${a.requested_by}, ${when(a.requested_at)}</td>
      </tr>
      <tr>
        <th scope="row">${a.status === 'pending' ? 'Decide before' : 'State'}</th>
        <td>
          ${a.status === 'pending' ? when(a.expires_at) : `${a.status}${a.decided_by ? ` by ${a.decided_by}` : ''}`}
        </td>
      </tr>
    </table>
    <ul class="parts">
      ${a.items.map(
        (i) =>
          html`<li>
            <code>${i.text}</code>${i.server ? html` <span class="muted">on ${i.server}</span>` : ''}
            <span class="label">${i.class}</span> ${i.why}
          </li>`,
      )}
    </ul>
    ${a.reasons.length ? html`<p class="muted">${a.reasons.join('; ')}</p>` : ''}`;
}

const GRANT_CHOICES: readonly [string, string][] = [
  ['0', 'just this once'],
  ['15', 'and the same steps for 15 minutes'],
  ['30', 'and the same steps for 30 minutes'],
  ['60', 'and the same steps for an hour'],
];

function decisionForms(chrome: Chrome, a: ApprovalView): Html | string {
  if (chrome.readonly) return '';
  const grantable = a.items.some((i) => i.server !== null && i.pattern !== null);
  return html`<div class="actions">
    <form method="post" action="/approvals/${a.id}/approve" class="inline">
      ${csrfField(chrome)}
      ${
        grantable
          ? html`<label
              >Approve
              <select name="minutes">
                ${GRANT_CHOICES.map(([v, label]) => html`<option value="${v}">${label}</option>`)}
              </select></label
            >`
          : ''
      }
      <button type="submit">Approve</button>
    </form>
    <form method="post" action="/approvals/${a.id}/deny" class="inline">
      ${csrfField(chrome)}<button type="submit" class="danger">Deny</button>
    </form>
  </div>`;
}

export function approvalsPage(
  chrome: Chrome,
  m: {
    readonly pending: readonly ApprovalView[];
    readonly recent: readonly ApprovalView[];
    readonly notices: string[];
  },
): Html {
  return layout(
    chrome,
    'Approvals',
    '/approvals',
    html`<h1>Approvals</h1>
      ${notices(m.notices, 'info')}
      <p class="muted">
        Calls that policy wants a person to approve. An approved call runs once when the assistant makes it again
        (before the time shown); denying refuses it. Your decision is in the audit log under your name.
      </p>
      ${
        m.pending.length
          ? m.pending.map(
              (a) =>
                html`<section class="approval" id="${a.id}">
                  <h2>${a.what}</h2>
                  ${approvalDetails(a)} ${decisionForms(chrome, a)}
                  <p class="muted">Or from a shell: <code>${a.approve_with}</code></p>
                </section>`,
            )
          : html`<p id="nothing-waits">Nothing waits for approval.</p>`
      }
      ${
        m.recent.length
          ? html`<h2>Recently decided</h2>
              <table>
                <thead>
                  <tr>
                    <th>Request</th>
                    <th>State</th>
                    <th>Decided by</th>
                    <th>At</th>
                  </tr>
                </thead>
                <tbody>
                  ${m.recent.map(
                    (a) =>
                      html`<tr>
                        <td>${a.what}</td>
                        <td>${a.status}</td>
                        <td>${a.decided_by ?? '—'}</td>
                        <td>${when(a.decided_at ?? a.expires_at)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
          : ''
      }`,
  );
}

/** Run again / retry that policy asks about: the person at the page is the one it asks. */
export function confirmAgainPage(
  chrome: Chrome,
  m: {
    readonly action: string;
    readonly jobId?: string | undefined;
    readonly path: string;
    readonly approval: ApprovalView;
    /** Fields the confirming form posts again (a template's parameters). */
    readonly fields?: readonly (readonly [string, string])[] | undefined;
    /** Where "back" goes (default: the job). */
    readonly back?: { readonly href: string; readonly label: string } | undefined;
  },
): Html {
  const back = m.back ?? { href: `/jobs/${m.jobId ?? ''}`, label: 'Back to the job' };
  return layout(
    chrome,
    `${m.action}: approval needed`,
    '/jobs',
    html`<h1>${m.action} needs your approval</h1>
      <p>Policy asks a person before this runs (approval <code>${m.approval.id}</code>):</p>
      ${approvalDetails(m.approval)}
      <div class="actions">
        <form method="post" action="${m.path}" class="inline">
          ${csrfField(chrome)}<input type="hidden" name="confirm" value="yes" />
          ${(m.fields ?? []).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}" />`)}
          <button type="submit" class="danger">Approve and run it</button>
        </form>
        <form method="post" action="/approvals/${m.approval.id}/deny" class="inline">
          ${csrfField(chrome)}<button type="submit">Deny</button>
        </form>
        <a href="${back.href}">${back.label}</a>
      </div>`,
  );
}
