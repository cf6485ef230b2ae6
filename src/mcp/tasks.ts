/**
 * MCP Tasks (experimental in SDK 1.32, protocol 2025-11-25), kept in this one module so it can be dropped or moved
 * to the tasks extension without touching the job engine. A task-augmented remote-bash call starts a deckhand job
 * in the background and answers at once; the job IS the task: its id is the task id, and the TaskStore below is a
 * read view over the job store (tasks/get, tasks/result, tasks/list; tasks/cancel cancels the job, killing the
 * remote command). Tasks therefore survive restarts, and every session sees them, like get-job-status does.
 * Calls without `task` go to the tools exactly as before: clients that do not use tasks see no difference.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ServerOptions } from '@modelcontextprotocol/sdk/server/index.js';
import type { TaskStore } from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolRequest,
  type CallToolResult,
  type CreateTaskResult,
  type ListToolsResult,
  type Result,
  type Task,
} from '@modelcontextprotocol/sdk/types.js';
import { errorMessage, NotFoundError, ValidationError } from '../errors.js';
import type { JobService } from '../jobs/index.js';
import { isTerminal, type Job } from '../jobs/index.js';
import type { RemoteBashService } from '../remote-bash/index.js';
import type { SafetyService } from '../safety/index.js';
import type { SessionInfo } from './session.js';
import { jobSummary, publicJob } from './tools/shared/job-shapes.js';
import { admitRemoteBash, formatOutcome, remoteBashInput, toStructured } from './tools/remote-bash.js';
import { queuePolicies } from './tools/shared/queue-args.js';
import { ok } from './tools/shared/results.js';
import { withJobLink } from './links.js';
import { describeArgumentErrors } from './argument-errors.js';
import { installedHandler } from './installed-handler.js';
import type { ToolExtra } from './progress.js';

export interface TaskDeps {
  readonly jobs: JobService;
  readonly remoteBash: RemoteBashService;
  readonly safety: SafetyService;
  readonly session?: SessionInfo | undefined;
}

/** How often clients are asked to poll tasks/get; also the wait between checks of a blocking tasks/result. */
export const TASK_POLL_MS = 1000;
const TASK_TOOLS = new Set(['remote-bash']);

/** Capabilities and the task store for the McpServer constructor. */
export function taskServerOptions(store: TaskStore): Pick<ServerOptions, 'capabilities' | 'taskStore'> {
  return {
    capabilities: { tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } },
    taskStore: store,
  };
}

/** The job's view as a task. A cancel request counts as cancelled at once: the job can only end cancelled. */
export function taskOf(job: Job): Task {
  const cancelling = job.cancel_requested_at !== null && !isTerminal(job.status);
  const status: Task['status'] =
    job.status === 'cancelled' || cancelling ? 'cancelled' : isTerminal(job.status) ? 'completed' : 'working';
  return {
    taskId: job.id,
    status,
    statusMessage: cancelling ? `${jobSummary(job)}; the remote command is being stopped` : jobSummary(job),
    createdAt: job.created_at,
    lastUpdatedAt: job.finished_at ?? job.cancel_requested_at ?? job.started_at ?? job.created_at,
    // Records are kept until DECKHAND_JOBS_ARCHIVE_DAYS after the job ends: no span counted from creation says that.
    ttl: null,
    pollInterval: TASK_POLL_MS,
  };
}

/** The tools/call result a finished job stands for: what remote-bash itself would have answered. */
export async function taskResult(remoteBash: RemoteBashService, job: Job): Promise<CallToolResult> {
  if (job.type === 'remote-bash' && isTerminal(job.status)) {
    const outcome = { kind: 'finished' as const, job, result: await remoteBash.result(job) };
    return withJobLink(ok(toStructured(outcome), formatOutcome(outcome)), job);
  }
  return withJobLink(ok({ job: publicJob(job) }, jobSummary(job)), job);
}

/** A TaskStore that is a view over the job store. Tasks are made by tools/call (see installTaskSupport), not here. */
export class JobTaskStore implements TaskStore {
  constructor(private readonly deps: TaskDeps) {}

  async createTask(): Promise<Task> {
    throw new McpError(ErrorCode.InvalidRequest, 'deckhand tasks are created by a task-augmented tools/call.');
  }

  async getTask(taskId: string): Promise<Task | null> {
    const job = await this.find(taskId);
    return job ? taskOf(job) : null;
  }

  async storeTaskResult(taskId: string): Promise<void> {
    throw new McpError(ErrorCode.InvalidRequest, `Task ${taskId} is a deckhand job: its result is the job's outcome.`);
  }

  async getTaskResult(taskId: string): Promise<Result> {
    let job = await this.find(taskId);
    if (!job) throw new McpError(ErrorCode.InvalidParams, `Task not found: ${taskId}`);
    // Asked once the task looks terminal; a job being cancelled may still need a moment to record its end.
    if (!isTerminal(job.status)) job = await this.deps.jobs.wait(job.id, 30_000);
    return taskResult(this.deps.remoteBash, job);
  }

  async updateTaskStatus(taskId: string, status: Task['status']): Promise<void> {
    if (status !== 'cancelled') {
      throw new McpError(ErrorCode.InvalidRequest, `Task ${taskId}: only cancellation can change a deckhand job.`);
    }
    await this.deps.jobs.cancel(taskId);
  }

  async listTasks(cursor?: string): Promise<{ tasks: Task[]; nextCursor?: string }> {
    const page = await this.deps.jobs.list({}, 20, cursor);
    return { tasks: page.jobs.map(taskOf), ...(page.next_cursor ? { nextCursor: page.next_cursor } : {}) };
  }

  private async find(id: string): Promise<Job | undefined> {
    try {
      return await this.deps.jobs.get(id);
    } catch {
      return undefined;
    }
  }
}

/**
 * Makes remote-bash task-capable on this server: tools/list shows execution.taskSupport "optional", and a
 * tools/call carrying `task` starts the job in the background and answers CreateTaskResult. Everything else
 * goes to the handlers installed before. McpServer sends every non-task call of an "optional" task tool through
 * its own polling path (it would lose auto mode and progress), so deckhand wraps tools/list and tools/call instead.
 * Call after the tools are registered.
 */
export function installTaskSupport(server: McpServer, deps: TaskDeps): void {
  const listTools = installedHandler(server, 'tools/list');
  const callTool = installedHandler(server, 'tools/call');
  server.server.setRequestHandler(ListToolsRequestSchema, async (req, extra) => {
    const res = (await listTools(req, extra)) as ListToolsResult;
    return {
      ...res,
      tools: res.tools.map((t) =>
        TASK_TOOLS.has(t.name) ? { ...t, execution: { ...t.execution, taskSupport: 'optional' as const } } : t,
      ),
    };
  });
  server.server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    if (!req.params.task) return (await callTool(req, extra)) as CallToolResult;
    if (!TASK_TOOLS.has(req.params.name)) {
      throw new McpError(
        ErrorCode.MethodNotFound,
        `Tool ${req.params.name} cannot run as a task (its execution.taskSupport is "forbidden"): call it without "task".`,
      );
    }
    return createRemoteBashTask(server, req, extra, deps);
  });
}

async function createRemoteBashTask(
  server: McpServer,
  req: CallToolRequest,
  extra: ToolExtra,
  deps: TaskDeps,
): Promise<CreateTaskResult> {
  const parsed = remoteBashInput.safeParse(req.params.arguments ?? {});
  if (!parsed.success) {
    // A task request cannot be answered with a tool result: the same words travel as a protocol error.
    const e = describeArgumentErrors(
      'remote-bash',
      req.params.arguments,
      parsed.error.issues,
      Object.keys(remoteBashInput.shape),
    );
    throw new McpError(ErrorCode.InvalidParams, `invalid_argument: ${e.message}${e.hint}`);
  }
  const args = parsed.data;
  const queue = queuePolicies(args, Date.now());
  if (!queue.ok)
    throw new McpError(
      ErrorCode.InvalidParams,
      `invalid_argument: ${queue.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  try {
    const gate = await admitRemoteBash(server, deps, args, extra);
    // A task request cannot be answered with a tool result: a refusal travels as a protocol error with its words.
    if (!gate.ok)
      throw new McpError(
        ErrorCode.InvalidRequest,
        gate.result.content.map((c) => ('text' in c ? c.text : '')).join('\n'),
      );
    // The task outlives this request: the job runs in the background whatever mode was asked for.
    const job = await gate.run(() =>
      deps.remoteBash.start({
        ...args,
        queue: queue.policies,
        mode: 'background',
        signal: extra.signal,
        id: gate.jobId,
      }),
    );
    return { task: taskOf(job) };
  } catch (err) {
    if (err instanceof McpError) throw err;
    const invalid = err instanceof ValidationError || err instanceof NotFoundError;
    throw new McpError(invalid ? ErrorCode.InvalidParams : ErrorCode.InternalError, errorMessage(err));
  }
}
