import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultCode, type Fault, type InjectedFault } from './faults.js';
import { ApiError, type RouteResult } from './http.js';
import type { Route } from './router.js';
import { catalogueRoutes } from './routes-catalogue.js';
import { serverRoutes } from './routes-servers.js';
import { FakeState, type RateLimitOptions } from './state.js';

export type { Fault, InjectedFault } from './faults.js';
export type { FakeServer, FakeAction, FakeSshKey, RecordedResponse } from './state.js';
export { FakeState } from './state.js';

export interface FakeHetznerOptions {
  /** How long every action stays running before it ends (default 50 ms; 0 ends it on the next read). */
  actionDurationMs?: number;
  /** Public IPv4 reported for a new server: point it at a local SSH target (default 127.0.0.1). */
  ipForServer?: (name: string) => string;
  /** Servers the project may hold before creates get 403 resource_limit_exceeded (default 1000). */
  serverLimit?: number;
  rateLimit?: RateLimitOptions;
}

export interface FakeHetzner {
  /** API base including /v1, to pass as the endpoint (HCLOUD_ENDPOINT). */
  url: string;
  /** A Read & Write token. */
  token: string;
  /** A token that may only read: writes get 401 token_readonly. */
  readOnlyToken: string;
  state: FakeState;
  inject(fault: Fault): InjectedFault;
  close(): Promise<void>;
}

const ROUTES: Route[] = [...serverRoutes, ...catalogueRoutes];

/** A local, stateful Hetzner Cloud API on 127.0.0.1 and a free port. */
export async function startFakeHetzner(opts: FakeHetznerOptions = {}): Promise<FakeHetzner> {
  const token = 'fake-rw-token-0123456789abcdef';
  const readOnlyToken = 'fake-ro-token-0123456789abcdef';
  const state = new FakeState({
    actionDurationMs: opts.actionDurationMs ?? 50,
    ipForServer: opts.ipForServer ?? (() => '127.0.0.1'),
    serverLimit: opts.serverLimit ?? 1000,
    rateLimit: { limit: 3600, refillPerSecond: 1, ...opts.rateLimit },
  });

  const server = createServer((req, res) => {
    let raw = '';
    readBody(req)
      .then((body) => {
        raw = body;
        handle(req, res, raw);
      })
      .catch((err: unknown) => {
        // A bug in the fake must fail tests loudly, not look like a Hetzner outage that clients retry away.
        state.internalErrors.push(err);
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        send(
          req,
          res,
          {
            status: 500,
            body: { error: { code: 'server_error', message: `fake-hetzner bug: ${String(err)}`, details: null } },
          },
          url,
          raw,
        );
      });
  });

  function send(req: IncomingMessage, res: ServerResponse, result: RouteResult, url: URL, raw: string): void {
    const headers = { ...state.rateLimitHeaders(), ...result.headers };
    state.responses.push({
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname.replace(/^\/v1(?=\/)/, ''),
      query: url.search,
      requestBody: parseOrRaw(raw),
      status: result.status,
      body: result.body,
      headers,
    });
    res.writeHead(result.status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(result.body));
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname.replace(/^\/v1(?=\/)/, '');
    try {
      state.tick();
      if (!state.consumeRateLimit())
        throw new ApiError(429, 'rate_limit_exceeded', 'limit of requests per hour reached');
      const fault = state.faults.takeRequestFault(method, path);
      if (fault?.kind === 'stall') return;
      if (fault?.kind === 'status') {
        const code = fault.code ?? defaultCode(fault.status);
        throw new ApiError(fault.status, code, fault.message ?? `injected ${code}`, null, fault.headers);
      }
      if (!url.pathname.startsWith('/v1/')) throw new ApiError(404, 'not_found', 'not found');
      const auth = req.headers.authorization ?? '';
      const given = auth.startsWith('Bearer ') ? auth.slice(7) : '';
      if (given !== token && given !== readOnlyToken) throw new ApiError(401, 'unauthorized', 'unable to authenticate');
      if (given === readOnlyToken && method !== 'GET') {
        throw new ApiError(401, 'token_readonly', 'the token is only allowed to perform GET requests');
      }
      state.beforeRoute?.(method, path);
      const matching = ROUTES.filter((r) => r.pattern.test(path));
      const route = matching.find((r) => r.method === method);
      if (!route) {
        if (matching.length) throw new ApiError(405, 'method_not_allowed', 'method not allowed');
        throw new ApiError(404, 'not_found', 'not found');
      }
      let body: unknown;
      if (raw !== '') {
        try {
          body = JSON.parse(raw);
        } catch {
          throw new ApiError(400, 'json_error', 'invalid JSON input');
        }
      }
      const params = path.match(route.pattern)?.slice(1) ?? [];
      const result = route.handle({ state, params, query: url.searchParams, body, selfUrl: url.toString() });
      if (result === 'reset') {
        state.responses.push({
          method,
          path,
          query: url.search,
          requestBody: body,
          status: 0,
          body: null,
          headers: {},
        });
        req.socket.destroy();
        return;
      }
      send(req, res, result, url, raw);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      send(req, res, { status: err.status, body: err.body(), headers: err.headers }, url, raw);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    token,
    readOnlyToken,
    state,
    inject: (fault) => state.faults.inject(fault),
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Stalled requests and keep-alive sockets would otherwise hold close() open forever.
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function parseOrRaw(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
