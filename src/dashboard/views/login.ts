import { html, type Html } from './html.js';
import { layout, notices, type Chrome } from './layout.js';

export interface LoginModel {
  readonly problem?: string | undefined;
  /** Where the token is, for a person who did not set DECKHAND_HTTP_TOKEN (never the token itself). */
  readonly tokenFile?: string | undefined;
  /** The page to return to after logging in (a path on this site). */
  readonly next: string;
}

export function loginPage(chrome: Chrome, m: LoginModel): Html {
  const where = m.tokenFile
    ? html`It is in <code>${m.tokenFile}</code> on the machine running deckhand (or set
        <code>DECKHAND_HTTP_TOKEN</code>).`
    : html`It is the value of <code>DECKHAND_HTTP_TOKEN</code>, the MCP endpoint's bearer token.`;
  return layout(
    chrome,
    'Log in',
    '',
    html`<section class="login">
      <h1>Log in</h1>
      ${m.problem ? notices([m.problem]) : ''}
      <p>Enter deckhand's token. ${where}</p>
      <form method="post" action="/login">
        <input type="hidden" name="next" value="${m.next}" />
        <label for="token">Token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
        <label for="name"
          >Your name <span class="muted">(optional: the audit log names your decisions with it)</span></label
        >
        <input id="name" name="name" autocomplete="username" maxlength="64" />
        <button type="submit">Log in</button>
      </form>
    </section>`,
  );
}

/** A page that only says something: a refused action, an unknown job, a page without its data yet. */
export function messagePage(chrome: Chrome, title: string, active: string, lines: readonly (string | Html)[]): Html {
  return layout(
    chrome,
    title,
    active,
    html`<h1>${title}</h1>
      ${lines.map((l) => html`<p>${l}</p>`)}`,
  );
}
