import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendHtml } from './respond.js';
import type { DashboardActor, DashboardSources } from './sources.js';
import type { Html } from './views/html.js';
import type { Chrome } from './views/layout.js';

/** What a route handler gets: the request, the sources, and the page frame of this session. */
export interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly params: readonly string[];
  readonly sources: DashboardSources;
  readonly chrome: Chrome;
  /** The person logged in, as approvals and the audit log name them. */
  readonly actor: DashboardActor;
  /** A POST's form, already read (and its CSRF token checked) by the dashboard. */
  readonly form?: URLSearchParams | undefined;
  /** Aborted when the dashboard closes (open log streams end). */
  readonly closing: AbortSignal;
}

export interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: RegExp;
  /** A state-changing action: refused in read-only mode (POSTs always need the session's CSRF token). */
  readonly action?: boolean;
  run(ctx: RouteContext): Promise<void>;
}

/** A job id in a route's path. */
export const JOB = '(job_[0-9A-HJKMNP-TV-Z]{26})';

export const page = (ctx: RouteContext, body: Html, status = 200) => sendHtml(ctx.res, status, body);

/** Follows `ctx.res` until the browser goes away or the dashboard closes: the signal a stream route waits on. */
export async function whileOpen(ctx: RouteContext, run: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const stop = new AbortController();
  const onClose = () => stop.abort();
  ctx.res.once('close', onClose);
  ctx.closing.addEventListener('abort', onClose, { once: true });
  try {
    await run(stop.signal);
  } finally {
    ctx.res.off('close', onClose);
    ctx.closing.removeEventListener('abort', onClose);
  }
}
