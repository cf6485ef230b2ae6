import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  CallToolResultSchema,
  LoggingMessageNotificationSchema,
  ResourceListChangedNotificationSchema,
  type CallToolResult,
  type LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type Deckhand } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createJob, type Job } from '../../src/jobs/types.js';
import { silentLogger } from '../../src/logger.js';
import { mcpServerFactory } from '../../src/mcp/server.js';
import { taskOf } from '../../src/mcp/tasks.js';

let home: string;
let app: Deckhand;
let client: Client;
let logs: LoggingMessageNotification['params'][];
let listChanged = 0;

async function connect(env: Record<string, string> = {}): Promise<void> {
  app = await createApp({
    config: loadConfig({ DECKHAND_HOME: home, ...env }),
    logger: silentLogger(),
    env: {},
    process: { pid: process.pid, isAlive: () => true },
  });
  const server = mcpServerFactory(app.services, silentLogger())();
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  client = new Client({ name: 'in-process', version: '1' });
  logs = [];
  listChanged = 0;
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(n.params);
  });
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
    listChanged += 1;
  });
  await client.connect(b);
}

/** A queued remote-bash job in the store (never run: the engine is not started). */
async function created(params: Record<string, unknown>): Promise<Job> {
  const spec = { id: app.kernel.engine.newId(), type: 'remote-bash', server: 'box', params, timeout_s: 60 };
  return (await app.kernel.stores.jobs.create([spec], Date.now()))[0]!;
}

async function job(lines: number, text: (i: number) => string = (i) => `line ${i}`): Promise<Job> {
  const j = await created({ command: 'x' });
  const w = await app.kernel.stores.logs.open(j.id, { maxBytes: 1024 * 1024 * 1024 });
  for (let i = 1; i <= lines; i++) w.add(i % 10 === 0 ? 'stderr' : 'stdout', text(i));
  await w.flush();
  await w.close();
  return j;
}

const textOf = async (uri: string) => {
  const r = await client.readResource({ uri });
  return String((r.contents[0] as { text: string }).text);
};

beforeEach(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-res-'));
  await connect();
});
afterEach(async () => {
  await client.close();
  await app.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('job resources', () => {
  it('lists the templates and recent jobs, and reads the record as JSON', async () => {
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => [t.uriTemplate, t.mimeType])).toEqual([
      ['deckhand://jobs/{id}', 'application/json'],
      ['deckhand://jobs/{id}/log', 'text/plain'],
      ['deckhand://approvals/{id}', 'application/json'],
      ['deckhand://templates/{name}', 'application/json'],
    ]);
    const a = await job(1);
    const b = await job(1);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual([
      // The fixed resources (the MCP App job view, the pool) come before the templates' listings.
      'ui://deckhand/job',
      'deckhand://pool',
      `deckhand://jobs/${b.id}`,
      `deckhand://jobs/${a.id}`,
      `deckhand://jobs/${b.id}/log`,
      `deckhand://jobs/${a.id}/log`,
    ]);
    const pool = JSON.parse(await textOf('deckhand://pool')) as {
      store: { kind: string };
      queue: { depth: number };
      servers: { server: string; queued: number }[];
    };
    expect(pool.store.kind).toBe('sqlite');
    expect(pool.queue.depth).toBe(2);
    expect(pool.servers).toEqual([{ server: 'box', running: 0, limit: expect.any(Number), queued: 2 }]);
    const record = JSON.parse(await textOf(`deckhand://jobs/${a.id}`)) as Record<string, unknown>;
    expect(record).toMatchObject({ id: a.id, type: 'remote-bash', status: 'queued', server: 'box' });
    expect(record).not.toHaveProperty('runtime');
  });

  it('reads the log oldest first, with [stderr] marks, the last 1000 lines and a marker for the rest', async () => {
    const small = await job(12);
    expect(await textOf(`deckhand://jobs/${small.id}/log`)).toBe(
      [...Array.from({ length: 12 }, (_, i) => (i + 1 === 10 ? '[stderr] line 10' : `line ${i + 1}`)), ''].join('\n'),
    );
    const big = await job(1500);
    const lines = (await textOf(`deckhand://jobs/${big.id}/log`)).trimEnd().split('\n');
    expect(lines).toHaveLength(1001);
    expect(lines[0]).toMatch(/^\[deckhand\] … 500 earlier lines not shown .*get-job-status/);
    expect(lines[1]).toBe('line 501');
    expect(lines.at(-1)).toBe('[stderr] line 1500');
  });

  it('keeps the log within 64 KiB, cutting from the front', async () => {
    const wide = await job(300, (i) => `${String(i).padStart(4, '0')} ${'x'.repeat(995)}`);
    const text = await textOf(`deckhand://jobs/${wide.id}/log`);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(64 * 1024 + 300);
    const lines = text.trimEnd().split('\n');
    const first = Number(lines[1]?.slice(0, 4));
    expect(lines[0]).toContain(`${first - 1} earlier lines not shown`);
    expect(lines.at(-1)).toMatch(/^\[stderr\] 0300 x+$/);
  });

  it('answers -32002 for unknown jobs on read and subscribe, accepts URIs it does not serve', async () => {
    await expect(client.readResource({ uri: 'deckhand://jobs/job_01JD3Q8X5K2M7N4P6R8S0T2V4W' })).rejects.toMatchObject({
      code: -32002,
    });
    // Only the exact id shape ever reaches a path.
    await expect(client.readResource({ uri: 'deckhand://jobs/../../etc/log' })).rejects.toMatchObject({
      code: -32002,
    });
    await expect(client.subscribeResource({ uri: 'deckhand://jobs/nope/log' })).rejects.toMatchObject({
      code: -32002,
    });
    expect(await client.subscribeResource({ uri: 'test://watched-resource' })).toEqual({});
    expect(await client.unsubscribeResource({ uri: 'test://watched-resource' })).toEqual({});
  });

  it('links the log from get-job-status and cancel-job results', async () => {
    const j = await job(1);
    for (const [name, args] of [
      ['get-job-status', { job_id: j.id }],
      ['cancel-job', { job_id: j.id }],
    ] as const) {
      const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
      expect(r.isError ?? false).toBe(false);
      expect(r.content).toContainEqual(
        expect.objectContaining({ type: 'resource_link', uri: `deckhand://jobs/${j.id}/log`, mimeType: 'text/plain' }),
      );
    }
  });

  it('follows jobs only while a session is open: closing it stops the feed', async () => {
    expect(app.services.changes.listening).toBe(true);
    await client.subscribeResource({ uri: `deckhand://jobs/${(await job(1)).id}/log` });
    await client.close();
    expect(app.services.changes.listening).toBe(false);
    await connect();
  });
});

describe('job lifecycle logging', () => {
  it('sends lifecycle steps at their level, filtered by logging/setLevel', async () => {
    const j = await created({});
    app.kernel.engine.events.emit('job', j);
    app.kernel.engine.events.emit('job', { ...j, status: 'running', attempt: 1 });
    await client.setLoggingLevel('notice');
    app.kernel.engine.events.emit('job', { ...j, status: 'lost', attempt: 1 });
    await client.ping();
    expect(logs.map((l) => [l.level, (l.data as { event: string }).event])).toEqual([
      ['debug', 'queued'],
      ['info', 'started'],
      ['error', 'lost'],
    ]);
    // A new job changes resources/list; its later steps do not.
    expect(listChanged).toBe(1);
    expect(logs[2]).toMatchObject({
      logger: 'deckhand.jobs',
      data: { job_id: j.id, status: 'lost', log: `deckhand://jobs/${j.id}/log` },
    });
  });
});

describe('tasks as a view over jobs', () => {
  const base = createJob({ type: 'remote-bash', server: 'box', params: {}, timeout_s: 60 }, new Date(0));

  it('maps job states to task states', () => {
    const status = (j: Partial<Job>) => taskOf({ ...base, ...j }).status;
    expect(status({ status: 'queued' })).toBe('working');
    expect(status({ status: 'running' })).toBe('working');
    expect(status({ status: 'running', cancel_requested_at: new Date(1).toISOString() })).toBe('cancelled');
    expect(status({ status: 'completed' })).toBe('completed');
    // A non-zero exit, a timeout or a lost command is still a result (not isError): the task completed.
    expect(status({ status: 'failed' })).toBe('completed');
    expect(status({ status: 'lost' })).toBe('completed');
    expect(status({ status: 'cancelled' })).toBe('cancelled');
    expect(taskOf(base)).toMatchObject({ taskId: base.id, ttl: null, pollInterval: 1000, createdAt: base.created_at });
  });

  it('answers tasks/get, tasks/list and tasks/result from the job store', async () => {
    const j = await job(2);
    expect(await client.experimental.tasks.getTask(j.id)).toMatchObject({ taskId: j.id, status: 'working' });
    await expect(client.experimental.tasks.getTask('job_01JD3Q8X5K2M7N4P6R8S0T2V4W')).rejects.toMatchObject({
      code: -32602,
    });
    const listed = await client.experimental.tasks.listTasks();
    expect(listed.tasks.map((t) => t.taskId)).toEqual([j.id]);
    await app.kernel.engine.store.update(j.id, (x) => ({
      ...x,
      status: 'failed',
      exit_code: 1,
      started_at: x.created_at,
      finished_at: new Date().toISOString(),
    }));
    const result = await client.experimental.tasks.getTaskResult(j.id, CallToolResultSchema);
    expect(result.structuredContent).toMatchObject({ status: 'failed', exit_code: 1, stdout: 'line 1\nline 2' });
  });

  it('is absent with DECKHAND_TASKS=off', async () => {
    await client.close();
    await app.close();
    await connect({ DECKHAND_TASKS: 'off' });
    expect(client.getServerCapabilities()?.tasks).toBeUndefined();
    await expect(client.experimental.tasks.listTasks()).rejects.toMatchObject({ code: -32601 });
  });
});
