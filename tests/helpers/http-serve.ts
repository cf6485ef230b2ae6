// `deckhand serve --http` for tests: the built binary on a loopback port the OS picks, an SDK client with the bearer
// token, and raw requests with exactly the headers a test gives.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CLI } from './mcp.js';

export const TOKEN = 'test-token-0123456789-abcdefghij';
export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
export const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

export interface Served {
  proc: ChildProcess;
  port: number;
  url: URL;
  stderr(): string;
  stop(): Promise<void>;
}

export function exited(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
}

/** Runs `deckhand serve --http` on an OS-chosen port and reads the URL it prints on stderr. */
export async function serveHttp(env: Record<string, string>, args: string[] = []): Promise<Served> {
  const proc = spawn(process.execPath, [CLI, 'serve', '--http', '--host', '127.0.0.1', '--port', '0', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DECKHAND_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL on stderr within 15 s:\n${err}`)), 15_000);
    const onData = () => {
      const m = /MCP over Streamable HTTP at http:\/\/127\.0\.0\.1:(\d+)\/mcp/.exec(err);
      if (m) {
        clearTimeout(timer);
        proc.stderr?.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    proc.stderr?.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`deckhand exited with ${code}:\n${err}`)));
  });
  return {
    proc,
    port,
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    stderr: () => err,
    stop: async () => {
      const done = exited(proc);
      proc.kill('SIGTERM');
      await done;
    },
  };
}

export async function connect(
  url: URL,
  token = TOKEN,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'deckhand-http-tests', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/** A request with exactly these headers (fetch will not let a test set Host). */
export function rawRequest(
  port: number,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'POST',
        path: opts.path ?? '/mcp',
        headers: opts.headers ?? {},
      },
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

export const call = async (client: Client, name: string, args: Record<string, unknown>) =>
  (await client.callTool({ name, arguments: args })) as CallToolResult;
