import {
  CallToolResultSchema,
  CreateTaskResultSchema,
  type CallToolResult,
  type Task,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { connectHttpLive, startStdioLive, type LiveClient, type StdioLive } from '../helpers/live.js';
import { serveHttp, type Served } from '../helpers/http-serve.js';
import { waitFor } from '../helpers/wait.js';
import { structured, textOf } from '../helpers/mcp.js';
import { remoteProcessCount } from '../helpers/openssh.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

interface CommandView {
  status: string;
  job_id: string;
  exit_code: number | null;
  stdout: string;
}

/** Starts a task-augmented remote-bash call through the SDK's task stream and returns the task it created. */
async function startTask(mcp: LiveClient, command: string): Promise<Task> {
  const stream = mcp.client.experimental.tasks.callToolStream(
    { name: 'remote-bash', arguments: { server: 'box', command } },
    CallToolResultSchema,
    { task: {} },
  );
  const first = await stream.next();
  await stream.return(undefined);
  if (first.done || first.value.type !== 'taskCreated') throw new Error(`no task: ${JSON.stringify(first.value)}`);
  return first.value.task;
}

async function addBox(mcp: LiveClient, sshd: SshdHandle): Promise<void> {
  const added = await mcp.call('add-server', {
    name: 'box',
    host: sshd.host,
    port: sshd.port,
    user: sshd.user,
    private_key_path: sshd.clientKey,
  });
  expect(added.isError, textOf(added)).toBeFalsy();
}

describe('MCP Tasks: a task-augmented remote-bash call is a deckhand job', () => {
  let sshd: SshdHandle;
  let home: { dir: string; cleanup(): void };
  let mcp: StdioLive;
  let served: Served | undefined;
  let http: LiveClient | undefined;

  beforeAll(async () => {
    sshd = await startSshd();
    home = tempHome();
    mcp = await startStdioLive({ DECKHAND_HOME: home.dir });
    await addBox(mcp, sshd);
  });
  afterAll(async () => {
    await http?.close();
    await served?.stop();
    await mcp?.close();
    await sshd?.stop();
    home?.cleanup();
  });

  it('declares the tasks capability and taskSupport "optional" on remote-bash only; plain calls are unchanged', async () => {
    expect(mcp.client.getServerCapabilities()?.tasks).toEqual({
      list: {},
      cancel: {},
      requests: { tools: { call: {} } },
    });
    const tools = (await mcp.client.listTools()).tools;
    // No execution.taskSupport means "forbidden" (the MCP default); tools/list leaves it out then.
    const support = Object.fromEntries(tools.map((t) => [t.name, t.execution?.taskSupport ?? 'forbidden']));
    expect(support['remote-bash']).toBe('optional');
    expect(support['list-servers']).toBe('forbidden');
    expect(support['get-job-status']).toBe('forbidden');
    // Without `task`, remote-bash answers as it always did (auto mode, inline result).
    const plain = structured<CommandView>(await mcp.call('remote-bash', { server: 'box', command: 'echo plain' }));
    expect(plain).toMatchObject({ status: 'completed', exit_code: 0, stdout: 'plain' });
  });

  it('tasks/get shows the task working, tasks/result returns the command result, tasks/list and the job tools see it', async () => {
    const stream = mcp.client.experimental.tasks.callToolStream(
      { name: 'remote-bash', arguments: { server: 'box', command: 'sleep 2; echo task-done' } },
      CallToolResultSchema,
      { task: {} },
    );
    const seen: string[] = [];
    let created: Task | undefined;
    let working: Task | undefined;
    let result: CallToolResult | undefined;
    for await (const message of stream) {
      seen.push(message.type);
      if (message.type === 'taskCreated') {
        created = message.task;
        working = await mcp.client.experimental.tasks.getTask(created.taskId);
      }
      if (message.type === 'result') result = message.result as CallToolResult;
      if (message.type === 'error') throw message.error;
    }
    expect(created?.taskId).toMatch(/^job_[0-9A-Z]{26}$/);
    expect(created?.status).toBe('working');
    expect(working).toMatchObject({ taskId: created?.taskId, status: 'working', ttl: null });
    expect(seen[0]).toBe('taskCreated');
    expect(seen.at(-1)).toBe('result');
    expect(result?.structuredContent).toMatchObject({ status: 'completed', exit_code: 0, stdout: 'task-done' });
    expect(result?.content).toContainEqual(
      expect.objectContaining({ type: 'resource_link', uri: `deckhand://jobs/${created?.taskId}/log` }),
    );

    const taskId = created?.taskId as string;
    const again = await mcp.client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    expect(again.structuredContent).toMatchObject({ stdout: 'task-done', job_id: taskId });
    expect((await mcp.client.experimental.tasks.getTask(taskId)).status).toBe('completed');
    const listed = await mcp.client.experimental.tasks.listTasks();
    expect(listed.tasks.map((t) => t.taskId)).toContain(taskId);
    // The task is the job: the job tools know it by the same id.
    const job = structured<{ job: { id: string; status: string } }>(
      await mcp.call('get-job-status', { job_id: taskId }),
    );
    expect(job.job).toMatchObject({ id: taskId, status: 'completed' });
  });

  it('tasks/cancel kills the remote command (checked over a second ssh connection)', async () => {
    const n = 40_000 + Math.floor(Math.random() * 9_000);
    const marker = `sleep ${n}`;
    const task = await startTask(mcp, `sleep ${n}; echo never`);
    await waitFor(() => remoteProcessCount(sshd, marker) > 0, 'the remote sleep to start');
    const cancelled = await mcp.client.experimental.tasks.cancelTask(task.taskId);
    expect(cancelled).toMatchObject({ taskId: task.taskId, status: 'cancelled' });
    await waitFor(() => remoteProcessCount(sshd, marker) === 0, 'the remote sleep to be gone');
    expect(await mcp.client.experimental.tasks.getTask(task.taskId)).toMatchObject({ status: 'cancelled' });
    const result = await mcp.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(result.structuredContent).toMatchObject({ status: 'cancelled', job_id: task.taskId });
    expect(JSON.stringify(result.structuredContent)).not.toContain('never');
  });

  it('refuses a task-augmented call of a tool without task support with -32601', async () => {
    await expect(
      mcp.client.request(
        { method: 'tools/call', params: { name: 'list-servers', arguments: {}, task: {} } },
        CreateTaskResultSchema,
      ),
    ).rejects.toMatchObject({ code: -32601 });
  });

  it('answers a task created before deckhand was killed (SIGKILL) and started again on the same DECKHAND_HOME', async () => {
    const task = await startTask(mcp, 'sleep 3; echo survived-restart');
    const pid = mcp.pid();
    expect(pid).toBeTypeOf('number');
    process.kill(pid as number, 'SIGKILL');
    await mcp.close();
    mcp = await startStdioLive({ DECKHAND_HOME: home.dir });
    const got = await mcp.client.experimental.tasks.getTask(task.taskId);
    expect(got.taskId).toBe(task.taskId);
    expect(['working', 'completed']).toContain(got.status);
    // tasks/result blocks until the job ends: the new process reattaches to the command that kept running.
    const result = await mcp.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema, {
      timeout: 60_000,
    });
    expect(result.structuredContent).toMatchObject({ status: 'completed', stdout: 'survived-restart' });
  });

  it('works the same over Streamable HTTP', async () => {
    served = await serveHttp({ DECKHAND_HOME: home.dir });
    http = await connectHttpLive(served.url);
    const task = await startTask(http, 'sleep 1; echo over-http');
    expect((await http.client.experimental.tasks.getTask(task.taskId)).status).toBe('working');
    const result = await http.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(result.structuredContent).toMatchObject({ status: 'completed', stdout: 'over-http' });
  });

  it('DECKHAND_TASKS=off: no tasks capability and remote-bash is not task-capable', async () => {
    const off = await startStdioLive({ DECKHAND_HOME: home.dir, DECKHAND_TASKS: 'off' });
    try {
      expect(off.client.getServerCapabilities()?.tasks).toBeUndefined();
      const tools = (await off.client.listTools()).tools;
      expect(tools.find((t) => t.name === 'remote-bash')?.execution?.taskSupport ?? 'forbidden').toBe('forbidden');
      const plain = structured<CommandView>(await off.call('remote-bash', { server: 'box', command: 'echo off' }));
      expect(plain.stdout).toBe('off');
    } finally {
      await off.close();
    }
  });
});
