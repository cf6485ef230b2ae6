import type { Config } from '../config.js';
import { ValidationError } from '../errors.js';
import type { JobEngine } from '../jobs/engine.js';
import type { JobFiles } from '../jobs/files.js';
import type { ReadResult } from '../jobs/store/contract.js';
import type { JobService } from '../jobs/service.js';
import { isTerminal, type Job } from '../jobs/types.js';
import { originFields, originParams, queueFields, type QueuePolicies, type RunOrigin } from './queue.js';
import type { Inventory, ServerRecord } from '../servers/index.js';
import type { SshPool } from '../ssh/pool.js';
import { BATCH_TYPE } from '../jobs/batch.js';
import { againInput, type AgainInput, type AgainKind } from './again.js';
import { startBatch, type BatchOptions } from './batch.js';
import { batchView, type BatchView } from './batch-view.js';
import type { RemoteBashParams } from './handler.js';
import { resolveTargets, type TargetSpec } from './targets.js';
import { checkSudo } from './sudo.js';

export type RunMode = 'auto' | 'sync' | 'background';

export interface RemoteBashInput extends TargetSpec, BatchOptions {
  command: string;
  timeout_s?: number | undefined;
  cwd?: string | undefined;
  env?: Record<string, string> | undefined;
  mode: RunMode;
  /** Run as root through sudo (a no-op for a root login). */
  sudo?: boolean | undefined;
  /** Start in a new login shell, not the connection's resident agent (whose environment dates from its start). */
  fresh_shell?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** The job's id, when the caller made it beforehand (the audit log names the job before it exists). */
  id?: string | undefined;
  /** The job this one repeats (run again, retry from the dashboard), kept in its parameters. */
  links?: { readonly rerun_of?: string; readonly retry_of?: string } | undefined;
  /** Queue policies: every job of the call (each child of a batch) gets them. */
  queue?: QueuePolicies | undefined;
  /** The template run this command is (templates feature). */
  origin?: RunOrigin | undefined;
}

export interface SettleInput {
  mode: RunMode;
  sync_wait_s: number;
  signal?: AbortSignal | undefined;
}

export interface RemoteBashServiceOptions {
  readonly engine: JobEngine;
  readonly jobs: JobService;
  readonly files: JobFiles;
  readonly inventory: Inventory;
  readonly pool: SshPool;
  readonly config: Pick<Config, 'jobs' | 'output'>;
  /** For the sudo check (a server's sudo_password_env). */
  readonly env: NodeJS.ProcessEnv;
}

export interface CommandResult {
  status: 'completed' | 'failed' | 'cancelled' | 'lost';
  exit_code: number | null;
  signal: string | null;
  error?: { code: string; message: string };
  stdout: string;
  stderr: string;
  duration_ms: number;
  truncated: { stdout: boolean; stderr: boolean };
  job_id: string;
}

export type RemoteBashOutcome =
  | { kind: 'finished'; job: Job; result: CommandResult }
  | { kind: 'running'; job: Job; tail: ReadResult }
  /** A command on several servers: the batch (a parent job) and its per-server view, ended or not. */
  | { kind: 'batch'; job: Job; view: BatchView };

const SIGNALS: Record<number, string> = {
  1: 'HUP',
  2: 'INT',
  3: 'QUIT',
  6: 'ABRT',
  9: 'KILL',
  13: 'PIPE',
  14: 'ALRM',
  15: 'TERM',
};

/** remote-bash: a command started as a durable job, then waited for as the mode says. */
export class RemoteBashService {
  constructor(private readonly o: RemoteBashServiceOptions) {}

  /**
   * Queues the command: on one server (`server`), as a job once the server has proven reachable; on several
   * (`servers` or `selector`), as a batch whose children fail on their own when their server cannot be reached.
   * Env values go to the jobs' secret files, never into a record.
   */
  /** The servers a call names, resolved (unknown names and empty selectors fail here, before anything starts). */
  async targetNames(spec: TargetSpec): Promise<string[]> {
    return (await resolveTargets(this.o.inventory, spec)).map((s) => s.name);
  }

  async start(input: RemoteBashInput): Promise<Job> {
    refuseNul(input);
    const targets = await resolveTargets(this.o.inventory, input);
    const timeout_s = input.timeout_s ?? (input.mode === 'sync' ? 60 * 60 : this.o.config.jobs.defaultTimeoutS);
    if (input.server === undefined) {
      const { parent } = await startBatch({ engine: this.o.engine, files: this.o.files }, targets, {
        id: input.id,
        command: input.command,
        cwd: input.cwd,
        env: input.env,
        timeout_s,
        mode: input.mode,
        sudo: input.sudo,
        fresh_shell: input.fresh_shell,
        selector: input.selector,
        max_parallel: input.max_parallel,
        serial: input.serial,
        max_failures: input.max_failures,
        fail_fast: input.fail_fast,
        links: input.links,
        queue: input.queue,
        origin: input.origin,
      });
      return parent;
    }
    const server = targets[0] as ServerRecord;
    // A server that cannot be reached now is the caller's problem to fix (address, key, host key): say so at once
    // instead of queueing a job that would retry. Drops after the command started are the engine's to ride out.
    // From the pool, this costs nothing when a connection is open.
    const lease = await this.o.pool.acquire(server, input.signal);
    let sudo = false;
    try {
      // A sudo that would ask for a password none is configured for is refused now, not in a job stuck on a prompt.
      if (input.sudo) sudo = (await checkSudo(lease.client, server, this.o.env, input.signal)) !== 'root';
    } finally {
      lease.release();
    }
    const params: RemoteBashParams = {
      command: input.command,
      ...(input.cwd ? { cwd: input.cwd } : {}),
      ...(input.env ? { env_keys: Object.keys(input.env) } : {}),
      ...(sudo ? { sudo: true } : {}),
      ...(input.fresh_shell ? { fresh_shell: true } : {}),
    };
    const id = input.id ?? this.o.engine.newId();
    const hasEnv = input.env !== undefined && Object.keys(input.env).length > 0;
    if (hasEnv) await this.o.files.putSecret(id, 'env', input.env);
    try {
      return await this.o.engine.submit({
        id,
        type: 'remote-bash',
        server: server.name,
        params: { ...params, mode: input.mode, ...input.links, ...originParams(input.origin) },
        timeout_s,
        ...queueFields(input.queue),
        ...originFields(input.origin),
      });
    } catch (err) {
      if (hasEnv) await this.o.files.clear(id).catch(() => undefined);
      throw err;
    }
  }

  /**
   * The call that runs `job` again (or retries it): same command, servers and options, env values read back while
   * they are kept. Refuses a job of another type, or one whose env values are gone.
   */
  again(job: Job, kind: AgainKind): Promise<AgainInput> {
    return againInput({ jobs: this.o.jobs, files: this.o.files }, job, kind);
  }

  /** Waits as the mode says: the result once the job ended, or the job and its last lines when it keeps running. */
  async settle(job: Job, input: SettleInput): Promise<RemoteBashOutcome> {
    if (job.type === BATCH_TYPE) return this.settleBatch(job, input);
    // A job waiting for its start time answers with its id at once: nobody waits past its not_before.
    const waiting = job.status === 'queued' && job.not_before !== null && Date.parse(job.not_before) > Date.now();
    if (input.mode === 'background' || waiting)
      return { kind: 'running', job, tail: await this.o.jobs.read(job.id, { limit: 0 }) };
    const waitMs = input.mode === 'sync' ? job.timeout_s * 1000 + 30_000 : input.sync_wait_s * 1000;
    const deadline = Date.now() + waitMs;
    let current: Job = job;
    // The engine's events carry the job's new record, and new lines leave it as it was; only after a quiet spell
    // (or when another process executes the job) is the store read.
    let fromEvent: Job | 'lines' | undefined = job;
    for (;;) {
      const j = fromEvent === 'lines' ? current : (fromEvent ?? (await this.o.engine.store.get(job.id)));
      if (j) current = j;
      if (isTerminal(current.status)) return { kind: 'finished', job: current, result: await this.result(current) };
      if (input.signal?.aborted) {
        // The client gave up on the call (notifications/cancelled): stop the command too.
        await this.o.engine.cancel(job.id);
        const final = (await this.o.engine.wait(job.id, 20_000)) ?? current;
        return { kind: 'finished', job: final, result: await this.result(final) };
      }
      if (Date.now() >= deadline) break;
      fromEvent = await this.o.engine.nextEvent(job.id, Math.min(1000, deadline - Date.now()), input.signal);
    }
    return { kind: 'running', job: current, tail: await this.o.jobs.read(job.id, { limit: 20 }) };
  }

  /**
   * A batch as get-job-status shows it: with `wait_s`, waits until a child changes state or the batch ends (counts
   * are compared, so a change on any instance counts), then answers the page of servers at `cursor`.
   */
  async batchStatus(job: Job, o: { cursor?: number; wait_s: number; signal?: AbortSignal }): Promise<BatchView> {
    let current = job;
    if (o.wait_s > 0 && !isTerminal(job.status)) {
      const before = JSON.stringify(await this.o.jobs.countChildren(job.id));
      const deadline = Date.now() + o.wait_s * 1000;
      while (Date.now() < deadline && !o.signal?.aborted) {
        await this.o.engine.nextEvent(job.id, Math.min(250, deadline - Date.now()), o.signal);
        current = await this.o.jobs.get(job.id);
        if (isTerminal(current.status) || JSON.stringify(await this.o.jobs.countChildren(job.id)) !== before) break;
      }
    }
    return batchView(this.o.jobs, current, o.cursor ?? 0);
  }

  /** A batch waited for as the mode says (a batch ends when its last child does). */
  private async settleBatch(job: Job, input: SettleInput): Promise<RemoteBashOutcome> {
    let current = job;
    if (input.mode !== 'background' && !(await this.allWaitingForStart(job))) {
      const waitMs = input.mode === 'sync' ? job.timeout_s * 1000 + 30_000 : input.sync_wait_s * 1000;
      current = (await this.o.engine.wait(job.id, waitMs, input.signal)) ?? current;
      if (input.signal?.aborted && !isTerminal(current.status)) {
        // The client gave up on the call (notifications/cancelled): stop the batch too.
        await this.o.engine.cancel(job.id);
        current = (await this.o.engine.wait(job.id, 20_000)) ?? current;
      }
    }
    return { kind: 'batch', job: current, view: await batchView(this.o.jobs, current) };
  }

  /** A batch whose servers all wait for their start time: it answers at once, as a single scheduled job does. */
  private async allWaitingForStart(job: Job): Promise<boolean> {
    if (isTerminal(job.status)) return false;
    const now = Date.now();
    const later = (c: Job) => c.status === 'queued' && c.not_before !== null && Date.parse(c.not_before) > now;
    const kids = await this.o.jobs.children(job.id);
    return kids.some(later) && kids.every((c) => isTerminal(c.status) || later(c));
  }

  /** The full result of a finished remote-bash job: each stream as head + tail within the caps. */
  async result(job: Job): Promise<CommandResult> {
    const [out, err] = await Promise.all([
      this.o.jobs.summarize(job, 'stdout', this.o.config.output),
      this.o.jobs.summarize(job, 'stderr', this.o.config.output),
    ]);
    const sig = job.exit_code !== null && job.exit_code > 128 ? (SIGNALS[job.exit_code - 128] ?? null) : null;
    const started = Date.parse(job.started_at ?? job.created_at);
    const finished = Date.parse(job.finished_at ?? new Date().toISOString());
    return {
      status:
        job.status === 'completed' || job.status === 'failed' || job.status === 'cancelled' || job.status === 'lost'
          ? job.status
          : 'failed',
      exit_code: job.exit_code,
      signal: job.status === 'cancelled' || job.error?.code === 'timeout' ? (sig ?? 'TERM') : sig,
      ...(job.error && job.error.code !== 'exit_code'
        ? { error: { code: job.error.code, message: job.error.message } }
        : {}),
      stdout: out.text,
      stderr: err.text,
      duration_ms: Math.max(0, finished - started),
      truncated: { stdout: out.truncated, stderr: err.truncated },
      job_id: job.id,
    };
  }
}

/**
 * A NUL byte cannot be part of a shell command, a path or an environment value (C strings end there): sshd refuses
 * one in an exec request, and the resident agent's line protocol cannot carry one. Refused before anything starts.
 */
function refuseNul(input: Pick<RemoteBashInput, 'command' | 'cwd' | 'env'>): void {
  const where = [
    input.command.includes('\0') ? 'command' : undefined,
    input.cwd?.includes('\0') ? 'cwd' : undefined,
    ...Object.entries(input.env ?? {}).map(([k, v]) =>
      v.includes('\0') || k.includes('\0') ? `env.${k.replace(/\0/g, '')}` : undefined,
    ),
  ].filter((w): w is string => w !== undefined);
  if (where.length > 0)
    throw new ValidationError(
      `${where.join(', ')} contains a NUL byte (\\0), which no command, path or environment value can carry.`,
      "Remove the NUL; to produce one on the server, write it in the command, e.g. printf 'a\\0b'.",
    );
}
