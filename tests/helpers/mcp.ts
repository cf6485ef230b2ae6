import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** The project root: the nearest ancestor with a package.json (this file also runs compiled under .bench-dist/). */
function findRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
export const ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));
export const CLI = path.join(ROOT, 'dist', 'cli.js');

export interface StdioSession {
  client: Client;
  transport: StdioClientTransport;
  stderr: () => string;
  call(
    name: string,
    args: Record<string, unknown>,
    opts?: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<CallToolResult>;
  close(): Promise<void>;
  pid(): number | null;
}

/**
 * Starts the built binary over stdio and connects a real SDK client to it. `prepare` sees the client before it
 * connects (to declare capabilities' handlers, e.g. elicitation), `clientOptions` are its constructor options.
 */
export async function startStdio(
  env: Record<string, string>,
  opts: { clientOptions?: ConstructorParameters<typeof Client>[1]; prepare?: (client: Client) => void } = {},
): Promise<StdioSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DECKHAND_LOG_LEVEL: 'warn', ...env },
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const client = new Client({ name: 'deckhand-tests', version: '1.0.0' }, opts.clientOptions);
  opts.prepare?.(client);
  await client.connect(transport);
  return {
    client,
    transport,
    stderr: () => err,
    pid: () => transport.pid,
    call: async (name, args, opts) =>
      (await client.callTool({ name, arguments: args }, undefined, {
        ...(opts?.signal ? { signal: opts.signal } : {}),
        timeout: opts?.timeoutMs ?? 120_000,
      })) as CallToolResult,
    close: () => client.close(),
  };
}

export function textOf(r: CallToolResult): string {
  return r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

export function structured<T = Record<string, unknown>>(r: CallToolResult): T {
  if (r.isError) throw new Error(`tool error: ${textOf(r)}`);
  return r.structuredContent as T;
}
