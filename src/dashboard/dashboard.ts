import type { IncomingMessage, ServerResponse } from 'node:http';
import { DeckhandError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { checkHostAndOrigin } from '../web/http-guards.js';
import { fromSameOrigin, readForm, redirect, sendHtml, sendText } from './respond.js';
import type { RouteContext } from './route.js';
import { ROUTES } from './routes.js';
import { DashboardSessions, csrfMatches, type Session } from './sessions.js';
import type { DashboardSources } from './sources.js';
import { StaticAssets, assetsDir } from './static.js';
import type { DashboardToken } from './token.js';
import type { Chrome } from './views/layout.js';
import { loginPage, messagePage } from './views/login.js';

export interface DashboardOptions {
  readonly sources: DashboardSources;
  readonly token: DashboardToken;
  /** readonly: every action is hidden and refused. */
  readonly mode: 'full' | 'readonly';
  /** Host names and origins accepted (the HTTP transport's lists: DNS-rebinding protection). */
  readonly allowedHosts: readonly string[];
  readonly allowedOrigins: readonly string[];
  readonly version: string;
  readonly logger: Logger;
  /** Where the built assets are (default: found beside this module, see static.ts). */
  readonly assetsDir?: string;
  /** Mark the cookie Secure (set when a TLS proxy fronts deckhand). */
  readonly secureCookies?: boolean;
  /** The token's name as approvals and the audit log give it (default: "dashboard"). */
  readonly tokenName?: string;
  /** Ended with the dashboard (the reachability prober). */
  readonly owned?: readonly { close(): Promise<void> }[];
}

export interface Dashboard {
  /** Answers one request for any path but /mcp. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Ends open log streams and what the dashboard owns (the reachability prober). */
  close(): Promise<void>;
}

/** "dashboard:alice@127.0.0.1": the person as typed at login (letters, digits, . _ @ + -), and where from. */
export function personOf(name: string | null | undefined, remote: string | undefined): string {
  const clean = (name ?? '')
    .trim()
    .replace(/[^\w.@+-]+/g, '_')
    .slice(0, 64);
  return `dashboard:${clean || 'anonymous'}@${(remote ?? 'unknown').replace(/^::ffff:/, '')}`;
}

/** A path on this site to return to after logging in; anything else (another site, "//host") goes to the overview. */
function safeNext(raw: string | null | undefined): string {
  return raw && raw.startsWith('/') && !raw.startsWith('//') && !raw.startsWith('/\\') ? raw.slice(0, 2000) : '/';
}

/**
 * The web dashboard: server-rendered pages over the sources, one small bundled script for the live log.
 * Every request passes the Host/Origin checks; every page but the login needs a session cookie; every POST needs
 * the same origin and the session's CSRF token; actions are refused in read-only mode.
 */
export function createDashboard(o: DashboardOptions): Dashboard {
  const sessions = new DashboardSessions({ token: o.token.token });
  const assets = new StaticAssets(o.assetsDir ?? assetsDir());
  const closing = new AbortController();
  const readonly = o.mode === 'readonly';
  const chromeFor = (s: Session | undefined): Chrome => ({
    csrf: s?.csrf,
    readonly,
    version: o.version,
    person: s?.person,
  });
  const tokenName = o.tokenName ?? 'dashboard';
  const tokenFile = o.token.source.kind === 'file' ? o.token.source.file : undefined;
  const secure = o.secureCookies ?? false;

  async function login(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method === 'GET') {
      const current = sessions.fromCookie(req.headers.cookie);
      if (current) return redirect(res, safeNext(url.searchParams.get('next')));
      return sendHtml(
        res,
        200,
        loginPage(chromeFor(undefined), { tokenFile, next: safeNext(url.searchParams.get('next')) }),
      );
    }
    if (req.method !== 'POST') return sendText(res, 405, 'Method not allowed.');
    if (!fromSameOrigin(req)) return sendText(res, 403, 'Refused: the login form must be sent from this site.');
    const form = await readForm(req, 8 * 1024);
    if (typeof form === 'string') return sendText(res, 400, 'Send the login form (application/x-www-form-urlencoded).');
    const next = safeNext(form.get('next'));
    const person = personOf(form.get('name'), req.socket.remoteAddress);
    const result = sessions.login(form.get('token') ?? '', person);
    // Every login and every wrong token is in the audit log; a throttled burst is not (it is refused unread).
    if (result !== 'throttled')
      await o.sources.audit?.login({
        person,
        token: tokenName,
        ok: result !== 'wrong',
        ...(result === 'wrong' ? { detail: 'wrong token' } : {}),
      });
    if (result === 'wrong' || result === 'throttled') {
      const problem =
        result === 'wrong'
          ? 'That token is not right.'
          : 'Too many wrong tokens in the last minute: wait a minute, then try again.';
      o.logger.warn({ remote: req.socket.remoteAddress, result }, 'dashboard login refused');
      return sendHtml(
        res,
        result === 'wrong' ? 401 : 429,
        loginPage(chromeFor(undefined), { problem, tokenFile, next }),
      );
    }
    o.logger.info({ remote: req.socket.remoteAddress }, 'dashboard login');
    redirect(res, next, { 'set-cookie': sessions.cookieFor(result, secure) });
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    if (path.startsWith('/assets/') && req.method === 'GET') {
      if (!assets.serve(path.slice('/assets/'.length), res)) sendText(res, 404, 'No such asset.');
      return;
    }
    if (path === '/login') return login(req, res, url);
    const candidates = ROUTES.filter((r) => r.path.test(path));
    const session = sessions.fromCookie(req.headers.cookie);
    const known = candidates.length > 0 || path === '/logout';
    if (!known && !session) return sendText(res, 404, `Not found: no page at ${path}.`);
    if (!session) {
      // A person gets the login form; a script (the log stream) or a form post gets a plain refusal.
      if (req.method === 'GET' && !path.endsWith('/events'))
        return redirect(res, `/login?next=${encodeURIComponent(path + url.search)}`);
      return sendText(res, 401, 'Not logged in: open /login and enter the token.');
    }
    const chrome = chromeFor(session);
    if (!known) return sendHtml(res, 404, messagePage(chrome, 'Not found', '', [`There is no page at ${path}.`]));
    let form: URLSearchParams | undefined;
    if (req.method === 'POST') {
      if (!fromSameOrigin(req))
        return sendText(res, 403, 'Refused: this action must be sent from a page of this site.');
      const read = await readForm(req);
      if (typeof read === 'string' || !csrfMatches(session, read.get('csrf')))
        return sendText(res, 403, 'Refused: the form is stale or forged (CSRF check). Reload the page and try again.');
      form = read;
      if (path === '/logout') {
        sessions.logout(session.id);
        return redirect(res, '/login', { 'set-cookie': DashboardSessions.clearCookie(secure) });
      }
    }
    const route = candidates.find((r) => r.method === req.method);
    if (!route) return sendText(res, 405, 'Method not allowed.');
    if (route.action && readonly) {
      return sendHtml(
        res,
        403,
        messagePage(chrome, 'Read-only dashboard', '', [
          'This dashboard is read-only (DECKHAND_DASHBOARD=readonly): it shows, it does not act.',
        ]),
      );
    }
    const params = (route.path.exec(path) ?? []).slice(1);
    const ctx: RouteContext = {
      req,
      res,
      url,
      params,
      sources: o.sources,
      chrome,
      actor: { person: session.person, token: tokenName },
      form,
      closing: closing.signal,
    };
    try {
      await route.run(ctx);
    } catch (err) {
      if (res.headersSent) throw err;
      const typed = err instanceof DeckhandError;
      const status = !typed ? 500 : err.code === 'invalid_argument' ? 400 : err.code.startsWith('unknown_') ? 404 : 409;
      if (!typed) o.logger.error({ err, path }, 'dashboard page failed');
      sendHtml(
        res,
        status,
        messagePage(chrome, status === 404 ? 'Not found' : 'That did not work', '', [errorMessage(err)]),
      );
    }
  }

  return {
    async handle(req, res) {
      const guard = checkHostAndOrigin(req, o.allowedHosts, o.allowedOrigins);
      if (guard) return sendText(res, guard.status, guard.message);
      const url = new URL(req.url ?? '/', 'http://localhost');
      await dispatch(req, res, url);
    },
    async close() {
      closing.abort();
      for (const x of o.owned ?? []) await x.close();
    },
  };
}
