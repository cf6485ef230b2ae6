import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { ServerFactory } from '../server.js';
import { ConfigError } from '../../config.js';
import type { Logger } from '../../logger.js';
import {
  allowedHostsFor,
  checkHostAndOrigin,
  identifyBearer,
  isLoopbackHost,
  type GuardVerdict,
} from '../../web/http-guards.js';
import type { HttpToken } from '../../safety/index.js';

export interface HttpOptions {
  readonly host: string;
  readonly port: number;
  readonly token: string | undefined;
  /** Named tokens with their policies (config.http.tokens); when given, `token` is ignored. */
  readonly tokens?: readonly HttpToken[];
  readonly allowedHosts?: readonly string[];
  readonly allowedOrigins?: readonly string[];
  readonly maxBodyBytes?: number;
  /** Idle sessions are closed after this long (default 30 min). */
  readonly sessionIdleMs?: number;
  /** Answers every path but /mcp and /healthz (the dashboard); without it those are 404. */
  readonly pages?: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;
}

export interface HttpHandle {
  readonly url: string;
  readonly port: number;
  sessionCount(): number;
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  lastSeen: number;
  /** Requests in flight, including a client's open GET notification stream: such a session is never idle. */
  open: number;
  /** The token the session was opened with: every later request of the session must carry the same one. */
  token: string | undefined;
}

/** An HTTP setting that cannot be served safely: reported like any other configuration error. */
export class HttpConfigError extends ConfigError {}

/** Streamable HTTP at /mcp with stateful sessions: one McpServer per client session, freed when it closes. */
export async function serveHttp(createServer: ServerFactory, logger: Logger, opts: HttpOptions): Promise<HttpHandle> {
  const tokens: readonly HttpToken[] = opts.tokens ?? (opts.token ? [{ name: 'default', token: opts.token }] : []);
  if (!isLoopbackHost(opts.host) && tokens.length === 0) {
    throw new HttpConfigError(
      `Refusing to serve HTTP on non-loopback host ${opts.host} without a token: set DECKHAND_HTTP_TOKEN (16+ characters) or DECKHAND_HTTP_TOKENS, or bind to 127.0.0.1.`,
    );
  }
  const allowedHosts = allowedHostsFor(opts.host, opts.allowedHosts);
  const allowedOrigins = opts.allowedOrigins ?? [];
  const sessions = new Map<string, Session>();
  const maxBody = opts.maxBodyBytes ?? 4 * 1024 * 1024;

  const deny = (res: ServerResponse, v: GuardVerdict) => {
    res.writeHead(v.status, { 'content-type': 'application/json', ...(v.headers ?? {}) });
    res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: v.message }, id: null }));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const hostGuard = checkHostAndOrigin(req, allowedHosts, allowedOrigins);
    if (hostGuard) return deny(res, hostGuard);
    const who = url.pathname === '/mcp' ? identifyBearer(req, tokens) : { token: undefined };
    if ('status' in who) return deny(res, who);
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('ok\n');
    }
    if (url.pathname !== '/mcp') {
      if (opts.pages) return opts.pages(req, res);
      return deny(res, { status: 404, message: 'Not found: the MCP endpoint is /mcp.' });
    }

    const sessionId = req.headers['mcp-session-id'];
    const existing = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    let body: unknown;
    if (req.method === 'POST') {
      const parsed = await readJson(req, maxBody);
      if ('error' in parsed) return deny(res, parsed.error);
      body = parsed.value;
    }
    if (existing && existing.token !== who.token?.name) {
      return deny(res, { status: 403, message: 'This session was opened with another token: start a new session.' });
    }
    if (existing) {
      existing.lastSeen = Date.now();
      existing.open++;
      res.once('close', () => {
        existing.open--;
        existing.lastSeen = Date.now();
      });
      return existing.transport.handleRequest(req, res, body);
    }
    if (sessionId !== undefined)
      return deny(res, { status: 404, message: 'Unknown or expired session: start a new one with initialize.' });
    if (req.method !== 'POST' || !isInitializeRequest(body)) {
      return deny(res, {
        status: 400,
        message: 'No session: the first request must be a POST initialize without Mcp-Session-Id.',
      });
    }
    const token = who.token;
    const server = createServer({
      via: 'http',
      ...(token ? { token: { name: token.name, ...(token.policy ? { policy: token.policy } : {}) } } : {}),
    });
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server, lastSeen: Date.now(), open: 0, token: token?.name });
        logger.info({ session: id, token: token?.name }, 'http session opened');
      },
    });
    transport.onclose = () => {
      const id = transport.sessionId;
      if (id && sessions.delete(id)) logger.info({ session: id }, 'http session closed');
      void server.close().catch(() => undefined);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const httpServer = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err }, 'http request failed');
      if (!res.headersSent) deny(res, { status: 500, message: 'Internal error.' });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.port, opts.host, () => resolve());
  });
  // A client that goes away without DELETE would otherwise keep its McpServer and subscriptions forever.
  const idleMs = opts.sessionIdleMs ?? 30 * 60_000;
  const sweeper = setInterval(
    () => {
      const now = Date.now();
      for (const [id, s] of sessions) {
        if (s.open > 0 || now - s.lastSeen < idleMs) continue;
        logger.info({ session: id }, 'http session idle: closing it');
        void s.transport.close().catch(() => undefined);
      }
    },
    Math.min(idleMs, 60_000),
  );
  sweeper.unref();
  const port = (httpServer.address() as AddressInfo).port;
  const shownHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${shownHost}:${port}/mcp`,
    port,
    sessionCount: () => sessions.size,
    async close() {
      clearInterval(sweeper);
      for (const s of [...sessions.values()]) await s.transport.close().catch(() => undefined);
      sessions.clear();
      httpServer.closeAllConnections();
      await new Promise<void>((r) => httpServer.close(() => r()));
    },
  };
}

async function readJson(req: IncomingMessage, max: number): Promise<{ value: unknown } | { error: GuardVerdict }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    // Leaving the loop destroys the socket, and a client still sending would get a reset instead of the 413:
    // keep reading (and dropping) up to twice the limit so it can finish and read why; past that, cut it off.
    if (size > 2 * max) break;
    if (size <= max) chunks.push(c);
  }
  if (size > max) return { error: { status: 413, message: `Request body larger than ${max} bytes.` } };
  try {
    return { value: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch {
    return { error: { status: 400, message: 'Request body is not valid JSON.' } };
  }
}
