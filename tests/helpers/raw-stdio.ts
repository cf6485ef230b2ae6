import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './mcp.js';

export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: string | number | null;
  result?: { content?: { type: string; text?: string }[]; isError?: boolean; structuredContent?: unknown };
  error?: { code: number; message: string };
}

export interface RawStdio {
  readonly proc: ChildProcess;
  /** Every stdout line, exactly as written. */
  readonly stdoutLines: string[];
  stderr(): string;
  /** Writes one raw line (a newline is added). */
  sendLine(line: string): void;
  /** Sends a request with a fresh numeric id and waits for the answer carrying that id. */
  request(method: string, params?: unknown, timeoutMs?: number): Promise<JsonRpcResponse>;
  /** Waits for a message matching `pred` among everything received so far or later. */
  waitForMessage(pred: (m: JsonRpcResponse) => boolean, timeoutMs?: number): Promise<JsonRpcResponse>;
  nextId(): number;
  /** Closes stdin and waits for the process to exit; answers its exit code. */
  close(timeoutMs?: number): Promise<number | null>;
}

/**
 * The built binary over stdio, driven line by line without the SDK client, so tests can send what no
 * well-behaved client would and check every byte that comes back on stdout.
 */
export async function startRawStdio(env: Record<string, string>): Promise<RawStdio> {
  const proc = spawn(process.execPath, [CLI], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DECKHAND_LOG_LEVEL: 'warn', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdoutLines: string[] = [];
  const messages: JsonRpcResponse[] = [];
  const waiters = new Set<() => void>();
  let partial = '';
  let err = '';
  proc.stdout?.setEncoding('utf8');
  proc.stdout?.on('data', (d: string) => {
    partial += d;
    let nl;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      stdoutLines.push(line);
      try {
        messages.push(JSON.parse(line) as JsonRpcResponse);
      } catch {
        // kept in stdoutLines; tests that check stdout purity look there
      }
    }
    for (const w of waiters) w();
  });
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let id = 1000;

  const waitForMessage = (pred: (m: JsonRpcResponse) => boolean, timeoutMs = 30_000) =>
    new Promise<JsonRpcResponse>((resolve, reject) => {
      const check = () => {
        const found = messages.find(pred);
        if (!found) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no matching message within ${timeoutMs} ms; stderr:\n${err.slice(-2000)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(onData);
      };
      const onData = () => void check();
      if (!check()) waiters.add(onData);
      void exit.then((code) => {
        if (waiters.has(onData) && !check()) {
          cleanup();
          reject(new Error(`deckhand exited (${code}) before answering; stderr:\n${err.slice(-2000)}`));
        }
      });
    });

  const raw: RawStdio = {
    proc,
    stdoutLines,
    stderr: () => err,
    sendLine: (line) => void proc.stdin?.write(`${line}\n`),
    nextId: () => ++id,
    request: (method, params, timeoutMs) => {
      const rid = ++id;
      raw.sendLine(JSON.stringify({ jsonrpc: '2.0', id: rid, method, ...(params === undefined ? {} : { params }) }));
      return waitForMessage((m) => m.id === rid && ('result' in m || 'error' in m), timeoutMs);
    },
    waitForMessage,
    close: async (timeoutMs = 10_000) => {
      proc.stdin?.end();
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
  const init = await raw.request('initialize', {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'raw-tests', version: '1' },
  });
  if (!init.result) throw new Error(`initialize failed: ${JSON.stringify(init)}`);
  raw.sendLine(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  return raw;
}
