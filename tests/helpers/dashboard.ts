import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CLI } from './mcp.js';

/** A deckhand process serving HTTP (serve --http, or the dashboard command) on an OS-chosen port. */
export interface Served {
  readonly proc: ChildProcess;
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  stderr(): string;
  stop(): Promise<void>;
}

function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => proc.once('exit', () => resolve()));
}

/**
 * Runs the built binary with `args` and waits for the line that names its URL on stderr.
 * `serve --http --port 0` prints "Dashboard at http://127.0.0.1:PORT/"; `dashboard --port 0` "dashboard at ...".
 */
export async function startServed(args: string[], env: Record<string, string>): Promise<Served> {
  const proc = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DECKHAND_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no dashboard URL on stderr within 15 s:\n${err}`)), 15_000);
    const onData = () => {
      const m = /[Dd]ashboard at http:\/\/127\.0\.0\.1:(\d+)\//.exec(err);
      if (m) {
        clearTimeout(timer);
        proc.stderr?.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    proc.stderr?.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`deckhand exited with ${code}:\n${err}`));
    });
  });
  return {
    proc,
    port,
    origin: `http://127.0.0.1:${port}`,
    stderr: () => err,
    async stop() {
      const done = exited(proc);
      proc.kill('SIGTERM');
      await done;
    },
  };
}

export async function connectHttp(origin: string, token: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'deckhand-dashboard-tests', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request with exactly these headers (fetch sets Origin and Host its own way). */
export function rawRequest(
  port: number,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers ?? {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Logs in through the form as a browser would (same Origin), answering the session cookie ("name=value"). */
export async function loginCookie(served: Pick<Served, 'port' | 'origin'>, token: string): Promise<string> {
  const r = await rawRequest(served.port, {
    method: 'POST',
    path: '/login',
    headers: {
      host: `127.0.0.1:${served.port}`,
      origin: served.origin,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token, next: '/' }).toString(),
  });
  const set = r.headers['set-cookie']?.[0];
  if (r.status !== 303 || !set) throw new Error(`login failed: ${r.status} ${r.body.slice(0, 200)}`);
  return set.split(';')[0] as string;
}

/** The CSRF token a page's forms carry. */
export function csrfOf(page: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(page);
  if (!m) throw new Error('no CSRF field on the page');
  return m[1] as string;
}
