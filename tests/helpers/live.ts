import { Client, type ClientOptions } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  type CallToolResult,
  type LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { CLI } from './mcp.js';

/** Helpers for the tests of issue 4 (progress, logging, resources, tasks) over stdio and Streamable HTTP. */

export type TransportKind = 'stdio' | 'http';

export interface Received {
  logs: { at: number; params: LoggingMessageNotification['params'] }[];
  updates: { at: number; uri: string }[];
  errors: Error[];
}

export interface LiveClient {
  readonly client: Client;
  readonly received: Received;
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

function baseEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DECKHAND_LOG_LEVEL: 'warn', ...env };
}

/** A client that records every logging message and resource update it receives, with the time it came. */
function recordingClient(options?: ClientOptions): { client: Client; received: Received } {
  const client = new Client({ name: 'deckhand-live-tests', version: '1.0.0' }, options);
  const received: Received = { logs: [], updates: [], errors: [] };
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    received.logs.push({ at: Date.now(), params: n.params });
  });
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    received.updates.push({ at: Date.now(), uri: n.params.uri });
  });
  client.onerror = (err) => received.errors.push(err);
  return { client, received };
}

function live(client: Client, received: Received, close: () => Promise<void>): LiveClient {
  return {
    client,
    received,
    call: async (name, args) =>
      (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as CallToolResult,
    close,
  };
}

export interface StdioLive extends LiveClient {
  pid(): number | null;
  stderr(): string;
}

/** The built binary over stdio with a recording SDK client. */
export async function startStdioLive(env: Record<string, string>, options?: ClientOptions): Promise<StdioLive> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI],
    env: baseEnv(env),
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const { client, received } = recordingClient(options);
  await client.connect(transport);
  return { ...live(client, received, () => client.close()), pid: () => transport.pid, stderr: () => err };
}

export async function connectHttpLive(url: URL, options?: ClientOptions): Promise<LiveClient> {
  const transport = new StreamableHTTPClientTransport(url);
  const { client, received } = recordingClient(options);
  await client.connect(transport);
  return live(client, received, async () => {
    await transport.terminateSession().catch(() => undefined);
    await client.close();
  });
}

export function jobLogs(received: Received, jobId: string): { level: string; event: string }[] {
  return received.logs
    .filter((l) => (l.params.data as { job_id?: string } | undefined)?.job_id === jobId)
    .map((l) => ({ level: l.params.level, event: String((l.params.data as { event?: string }).event) }));
}
