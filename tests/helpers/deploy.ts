// Shared by the deploy-app tests: catalogue images swapped for local busybox-based ones of the same shape, a netns host
// made ready for deploys (Swarm, the deckhand-public network), and small waits on jobs through the MCP process.
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { deployEnv } from './deploy-images.js';
import { tempHome } from './home.js';
import { ensureLocalImages, LOCAL_IMAGES } from './images.js';
export { deployEnv, IMAGE_OVERRIDES, quickCheck } from './deploy-images.js';
import { startStdio, structured, textOf, type StdioSession } from './mcp.js';
import { startNetnsHost, type NetnsHost } from './netns-host.js';

/**
 * The host's /root is a copy-on-write view of this machine's, whose .bashrc may run tools (pyenv) on every SSH
 * command: a fresh server's root has none of that. Then Swarm and the network setup-server would create.
 */
export async function prepareDeployHost(host: NetnsHost, opts: { network?: boolean } = {}): Promise<void> {
  const r = await host.exec(`printf '# test host\\n' > /root/.bashrc; printf '' > /root/.profile`);
  expect(r.code).toBe(0);
  if (opts.network !== false) {
    const n = await host.exec('docker network create --driver overlay --attachable deckhand-public');
    expect(n.code, n.stderr).toBe(0);
  }
}

/** What a deploy test works with; the fields are set once its beforeAll has run. */
export interface DeploySwarm {
  /** A netns host with its own Docker engine and Swarm, made ready for deploys (prepareDeployHost). */
  readonly host: NetnsHost;
  /** DECKHAND_HOME of the deckhand processes. */
  readonly home: { dir: string; cleanup(): void };
  /** The deckhand process (the stdio binary) with the server registered as "box". */
  readonly mcp: StdioSession;
  /** Runs `sh -c cmd` on the host and answers its stdout, trimmed. */
  sh(cmd: string): Promise<string>;
  /** Kills deckhand without warning (SIGKILL), as a crash would. */
  crash(): Promise<void>;
  /** Starts a new deckhand on the same DECKHAND_HOME (after crash()); `mcp` is then that one. */
  restart(): Promise<StdioSession>;
}

/**
 * The fixture of the deploy-app tests, as hooks of the calling describe: before them, a netns Swarm host with the
 * local stand-in images and the deckhand-public network, a fresh DECKHAND_HOME and a deckhand started with the image
 * overrides (and `env`) that knows the host as "box"; the processes' logs printed when a test fails; all torn down after.
 */
export function useDeploySwarm(env: Record<string, string> = {}): DeploySwarm {
  let host: NetnsHost | undefined;
  let home: { dir: string; cleanup(): void } | undefined;
  let mcp: StdioSession | undefined;
  const start = () => startStdio({ ...deployEnv(fx.home.dir), ...env });
  const fx: DeploySwarm = {
    get host() {
      if (!host) throw new Error('the deploy host is not started yet (use it inside a test)');
      return host;
    },
    get home() {
      if (!home) throw new Error('DECKHAND_HOME is not made yet (use it inside a test)');
      return home;
    },
    get mcp() {
      if (!mcp) throw new Error('deckhand is not started yet (use it inside a test)');
      return mcp;
    },
    sh: async (cmd) => (await fx.host.exec(cmd)).stdout.trim(),
    async crash() {
      process.kill(fx.mcp.pid() as number, 'SIGKILL');
      await fx.mcp.close().catch(() => undefined);
    },
    async restart() {
      mcp = await start();
      return mcp;
    },
  };
  beforeAll(async () => {
    host = await startNetnsHost({ swarm: true });
    await Promise.all([ensureLocalImages(host), prepareDeployHost(host)]);
    home = tempHome();
    mcp = await start();
    await addServer(mcp, host);
  }, 120_000);
  afterAll(async () => {
    await mcp?.close();
    await host?.stop();
    home?.cleanup();
  }, 60_000);
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(mcp?.stderr(), host?.logs());
  });
  return fx;
}

export async function addServer(mcp: StdioSession, host: NetnsHost, name = 'box'): Promise<void> {
  const added = await mcp.call('add-server', {
    name,
    host: host.ip,
    port: 22,
    user: 'root',
    private_key_path: host.privateKeyPath,
    host_key_fingerprint: host.hostKeyFingerprint,
  });
  expect(added.isError, textOf(added)).toBeFalsy();
}

export interface JobView {
  id: string;
  status: string;
  error: { code: string; message: string } | null;
  result: Record<string, unknown> | null;
  progress: { step?: string; message?: string };
  params: Record<string, unknown>;
}

/** Follows a job with get-job-status long-polls until it ends. */
export async function waitJob(mcp: StdioSession, jobId: string, limitMs = 170_000): Promise<JobView> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const s = structured<{ job: JobView }>(
      await mcp.call('get-job-status', { job_id: jobId, wait_s: 20, tail_logs: 0 }),
    );
    if (!['queued', 'running'].includes(s.job.status)) return s.job;
    if (Date.now() > deadline)
      throw new Error(`job ${jobId} still ${s.job.status} (${JSON.stringify(s.job.progress)})`);
  }
}

/** Every log line of a job, through get-job-status pages. */
export async function jobLog(mcp: StdioSession, jobId: string): Promise<string[]> {
  const lines: string[] = [];
  let cursor = 0;
  for (;;) {
    const s = structured<{ logs: { text: string }[]; next_cursor: number; has_more: boolean }>(
      await mcp.call('get-job-status', { job_id: jobId, cursor, tail_logs: 1000 }),
    );
    lines.push(...s.logs.map((l) => l.text));
    cursor = s.next_cursor;
    if (!s.has_more) return lines;
  }
}

/** Calls deploy-app and waits for its job; returns the tool result's job view. */
export async function deploy(mcp: StdioSession, args: Record<string, unknown>): Promise<JobView> {
  const r = await mcp.call('deploy-app', { server: 'box', sync_wait_s: 0, ...args });
  expect(r.isError, textOf(r)).toBeFalsy();
  return waitJob(mcp, structured<{ job_id: string }>(r).job_id);
}

/** GET from a one-off container on the deckhand-public network (services are not published on the host). */
export async function httpGet(host: NetnsHost, url: string): Promise<{ status: number; body: string }> {
  const r = await host.exec(
    `docker run --rm --network deckhand-public ${LOCAL_IMAGES.busybox} wget -S -qO- '${url}' 2>&1`,
    { timeoutMs: 60_000 },
  );
  const status = Number(/HTTP\/1\.[01] (\d{3})/.exec(r.stdout)?.[1] ?? 0);
  return { status, body: r.stdout };
}
