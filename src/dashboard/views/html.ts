/** Markup that is already safe to send: made only by the `html` tag below (or `raw` for trusted constants). */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** A value a template may hold: text is escaped, Html is kept, lists are joined, nothing prints for null/false. */
export type Fragment = Html | string | number | boolean | null | undefined | readonly Fragment[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

function render(v: Fragment): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return (v as readonly Fragment[]).map(render).join('');
  return escapeHtml(String(v));
}

/**
 * The only way pages are written: every interpolated value is escaped unless it is itself Html, so a job's command
 * or log line can never become markup. Attributes are always quoted in the templates.
 */
export function html(strings: TemplateStringsArray, ...values: Fragment[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** Trusted markup (constants in this folder only, never data). */
export function raw(s: string): Html {
  return new Html(s);
}
