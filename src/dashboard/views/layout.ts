import { html, type Fragment, type Html } from './html.js';

/** What every page's frame needs to know about the request. */
export interface Chrome {
  /** The session's CSRF token; absent on the login page. */
  readonly csrf?: string | undefined;
  readonly readonly: boolean;
  readonly version: string;
  /** The person logged in, shown beside "Log out". */
  readonly person?: string | undefined;
}

const NAV = [
  ['/', 'Overview'],
  ['/jobs', 'Jobs'],
  ['/servers', 'Servers'],
  ['/pool', 'Pool'],
  ['/batches', 'Batches'],
  ['/templates', 'Templates'],
  ['/schedules', 'Schedules'],
  ['/approvals', 'Approvals'],
  ['/audit', 'Audit'],
] as const;

/** The frame of every page: the bundled stylesheet and script (no inline code: the CSP forbids it). */
export function layout(chrome: Chrome, title: string, active: string, body: Fragment): Html {
  const nav = chrome.csrf
    ? html`<nav>
          ${NAV.map(
            ([href, label]) =>
              html`<a href="${href}" ${href === active ? html` aria-current="page"` : ''}>${label}</a>`,
          )}
        </nav>
        <div class="who">
          ${chrome.readonly ? html`<span class="readonly-badge" title="DECKHAND_DASHBOARD=readonly">read-only</span>` : ''}
          ${chrome.person ? html`<span class="person muted">${chrome.person}</span>` : ''}
          <form method="post" action="/logout" class="inline">
            <input type="hidden" name="csrf" value="${chrome.csrf}" />
            <button type="submit" class="link">Log out</button>
          </form>
        </div>`
    : '';
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · deckhand</title>
        <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/assets/dashboard.css" />
        <script src="/assets/dashboard.js" defer></script>
      </head>
      <body>
        <header>
          <a class="brand" href="/">deckhand</a>
          ${nav}
        </header>
        <main>${body}</main>
        <footer>deckhand ${chrome.version}</footer>
      </body>
    </html> `;
}

/** A notice above a page's content (a refused action, a filter that was dropped). */
export function notices(items: readonly string[], kind: 'info' | 'warn' = 'warn'): Html {
  return html`${items.map((t) => html`<p class="notice notice-${kind}" role="status">${t}</p>`)}`;
}

/** The hidden field every state-changing form carries. */
export function csrfField(chrome: Chrome): Html {
  return html`<input type="hidden" name="csrf" value="${chrome.csrf ?? ''}" />`;
}
