import { html, type Html } from './html.js';
import { layout, type Chrome } from './layout.js';

// The page for data a dashboard has no source for (sources.ts): it says plainly that the feature is missing.

export function notYetPage(chrome: Chrome, title: string, active: string, what: string): Html {
  return layout(
    chrome,
    title,
    active,
    html`<h1>${title}</h1>
      <p class="muted">${what} are not available in this version of deckhand.</p>`,
  );
}
