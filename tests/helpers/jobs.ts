import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { tempHome } from './home.js';
import { startStdio, structured, textOf, type StdioSession } from './mcp.js';
import { startSshd, type SshdHandle } from './sshd.js';
import { waitFor } from './wait.js';

/** Shared pieces of the job-engine e2e tests (tests/e2e/jobs-*.test.ts). */

export interface LogLine {
  seq: number;
  ts: number;
  stream: 'stdout' | 'stderr' | 'system';
  text: string;
}

export interface JobView {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'lost';
  server: string | null;
  exit_code: number | null;
  error: { code: string; message: string } | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  attempt: number;
  timeout_s: number;
  cancel_requested_at: string | null;
}

export interface StatusView {
  job: JobView;
  logs: LogLine[];
  next_cursor: number;
  has_more: boolean;
  total_lines: number;
  log_bytes: number;
}

export const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'lost']);

const JOB_ID = /^job_[0-9A-HJKMNP-TV-Z]{26}$/;

/** The per-job directory on the target (this machine, reached as the same user with HOME = `targetHome`). */
export function remoteJobDir(targetHome: string, id: string): string {
  if (!JOB_ID.test(id)) throw new Error(`not a job id: ${id}`);
  return path.join(targetHome, '.deckhand', 'jobs', id);
}

/**
 * Teardown for the remote side of jobs a test created: kills what is left of them (by their recorded process
 * group and runner pid) and removes their directories. Only the given ids are touched.
 */
export function removeRemoteJobs(targetHome: string, ids: Iterable<string>): void {
  for (const id of ids) {
    const dir = remoteJobDir(targetHome, id);
    for (const f of ['pgid', 'runner.pid']) {
      const pid = Number(readOr(path.join(dir, f), '').trim());
      if (Number.isInteger(pid) && pid > 1) {
        try {
          process.kill(f === 'pgid' ? -pid : pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** One deckhand process (the built binary over stdio) with a way to kill it hard. */
export class Deckhand {
  /** Told every job id this process hands out through background(). */
  onJob: ((id: string) => void) | undefined;

  private constructor(
    readonly mcp: StdioSession,
    readonly pid: number,
  ) {}

  static async start(env: Record<string, string>): Promise<Deckhand> {
    const mcp = await startStdio(env);
    const pid = mcp.pid();
    if (!pid) throw new Error('deckhand did not start');
    return new Deckhand(mcp, pid);
  }

  get alive(): boolean {
    try {
      process.kill(this.pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  call(name: string, args: Record<string, unknown>, timeoutMs?: number): Promise<CallToolResult> {
    return this.mcp.call(name, args, timeoutMs ? { timeoutMs } : undefined);
  }

  async ok<T = Record<string, unknown>>(name: string, args: Record<string, unknown>, timeoutMs?: number): Promise<T> {
    return structured<T>(await this.call(name, args, timeoutMs));
  }

  status(args: Record<string, unknown>): Promise<StatusView> {
    return this.ok<StatusView>('get-job-status', { tail_logs: 1000, ...args });
  }

  /** Starts a job in background mode and answers its id. */
  async background(command: string, extra: Record<string, unknown> = {}): Promise<string> {
    const r = await this.ok<{ job_id: string; status: string }>('remote-bash', {
      server: 'box',
      command,
      mode: 'background',
      ...extra,
    });
    if (!JOB_ID.test(r.job_id)) throw new Error(`remote-bash answered no job id: ${JSON.stringify(r)}`);
    this.onJob?.(r.job_id);
    return r.job_id;
  }

  /** Long-polls until the job is terminal. */
  async waitTerminal(id: string, ms = 60_000): Promise<JobView> {
    const until = Date.now() + ms;
    for (;;) {
      const s = await this.status({ job_id: id, tail_logs: 0, wait_s: 5 });
      if (TERMINAL.has(s.job.status)) return s.job;
      if (Date.now() > until) throw new Error(`job ${id} still ${s.job.status} after ${ms} ms`);
    }
  }

  /** Every log line of a job, read page by page with the cursor. */
  async allLines(id: string, stream: 'all' | 'stdout' | 'stderr' = 'all'): Promise<LogLine[]> {
    const out: LogLine[] = [];
    let cursor = 0;
    for (;;) {
      const s = await this.status({ job_id: id, cursor, stream });
      out.push(...s.logs);
      if (s.next_cursor <= cursor && s.logs.length === 0) break;
      cursor = s.next_cursor;
      if (!s.has_more) break;
    }
    return out;
  }

  /** SIGKILL: no shutdown code runs, exactly like a crash. */
  async kill(): Promise<void> {
    if (this.alive) process.kill(this.pid, 'SIGKILL');
    await waitFor(() => !this.alive, `deckhand ${this.pid} to die`, 10_000, 20);
    await this.mcp.close().catch(() => undefined);
  }

  /** A polite stop (stdin closed); falls back to SIGKILL. */
  async stop(): Promise<void> {
    await this.mcp.close().catch(() => undefined);
    try {
      await waitFor(() => !this.alive, `deckhand ${this.pid} to exit`, 10_000, 50);
    } catch {
      await this.kill();
    }
  }

  /** Peak resident set size of the process, in bytes (VmHWM). */
  peakRss(): number {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    if (!m) throw new Error('no VmHWM in /proc status');
    return Number(m[1]) * 1024;
  }
}

export function stdoutTexts(lines: readonly LogLine[]): string[] {
  return lines.filter((l) => l.stream === 'stdout').map((l) => l.text);
}

/** Accepts either an isError result or a rejected call (input validation); answers the error text. */
export async function toolError(p: Promise<CallToolResult>): Promise<string> {
  try {
    const r = await p;
    if (!r.isError) throw new Error(`expected an error, got ${textOf(r).slice(0, 300)}`);
    return textOf(r);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('expected an error')) throw err;
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * A real sshd, a temp DECKHAND_HOME and the bookkeeping to tear both down with every deckhand process
 * started on them and the remote directories of the jobs created.
 */
export class JobsFixture {
  sshd!: SshdHandle;
  home!: { dir: string; cleanup(): void };
  /**
   * HOME of the SSH sessions on the target. Not /root: this machine's root .bashrc runs `pyenv init`, whose rehash
   * lock stalls every session while another shell holds it (and writes to stderr); a server has no such thing.
   * It also keeps the remote job directories of these tests apart from everything else's.
   */
  targetHome!: string;
  readonly procs: Deckhand[] = [];
  readonly jobIds = new Set<string>();
  private env: Record<string, string> = {};

  async setup(env: Record<string, string> = {}): Promise<Deckhand> {
    this.targetHome = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-target-'));
    this.sshd = await startSshd({ extraConfig: `SetEnv HOME=${this.targetHome}` });
    this.home = tempHome();
    this.env = { DECKHAND_HOME: this.home.dir, ...env };
    const d = await this.start();
    const added = await d.call('add-server', {
      name: 'box',
      host: this.sshd.host,
      port: this.sshd.port,
      user: this.sshd.user,
      private_key_path: this.sshd.clientKey,
    });
    if (added.isError) throw new Error(`add-server failed: ${textOf(added)}`);
    return d;
  }

  /** Another deckhand process on the same DECKHAND_HOME. */
  async start(extraEnv: Record<string, string> = {}): Promise<Deckhand> {
    const d = await Deckhand.start({ ...this.env, ...extraEnv });
    d.onJob = (id) => this.jobIds.add(id);
    this.procs.push(d);
    return d;
  }

  remoteJobDir(id: string): string {
    return remoteJobDir(this.targetHome, id);
  }

  track(id: string): string {
    this.jobIds.add(id);
    return id;
  }

  async teardown(): Promise<void> {
    for (const d of this.procs) await d.kill().catch(() => undefined);
    // sshd first, so no session is left to write into the target home while it is removed.
    await this.sshd?.stop().catch(() => undefined);
    if (this.targetHome) {
      removeRemoteJobs(this.targetHome, this.jobIds);
      fs.rmSync(this.targetHome, { recursive: true, force: true });
    }
    this.home?.cleanup();
  }
}
