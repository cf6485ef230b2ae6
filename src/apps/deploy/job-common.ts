import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { DeployConfig } from '../../config.js';
import { DeckhandError, errorMessage } from '../../errors.js';
import type { Inventory } from '../../servers/index.js';
import type { HandlerOutcome, JobContext } from '../../jobs/handler.js';
import type { JobStore } from '../../jobs/store/contract.js';
import { isTerminal } from '../../jobs/types.js';
import type { SshPool } from '../../ssh/pool.js';
import type { DeployContext } from './stack-deploy.js';
import type { Redactor } from './redact.js';
import { deployShell } from './remote.js';
import type { RemoteShell } from '../../ssh/remote-shell.js';

export interface DeployJobOptions {
  readonly home: string;
  readonly inventory: Inventory;
  readonly pool: SshPool;
  readonly store: JobStore;
  readonly deploy: DeployConfig;
  /** Poll interval of the converge loops (tests and benchmarks lower it). */
  readonly pollMs?: number;
}

/** Identifies a DECKHAND_HOME in lock owner files, so its own dead jobs' locks can be told apart. */
export function homeId(home: string): string {
  return createHash('sha256')
    .update(`${os.hostname()}:${path.resolve(home)}`)
    .digest('hex')
    .slice(0, 16);
}

export interface Connected {
  readonly runner: RemoteShell;
  readonly cleanupRunner: RemoteShell;
  readonly server: string;
}

/** Opens the server for a job (one pooled connection), checks root or sudo, and always gives the connection back. */
export async function withServer<T>(
  o: DeployJobOptions,
  ctx: JobContext,
  fn: (c: Connected) => Promise<T>,
): Promise<T> {
  const server = await o.inventory.get(ctx.job.server ?? '');
  const lease = await o.pool.acquire(server, ctx.signal);
  try {
    const runner = deployShell(lease.client, ctx.signal);
    const cleanupRunner = deployShell(lease.client, new AbortController().signal, 30_000);
    const priv = await runner.detectPrivileges('Deploying');
    if (priv === 'sudo') await cleanupRunner.detectPrivileges('Deploying');
    return await fn({ runner, cleanupRunner, server: server.name });
  } finally {
    lease.release();
  }
}

export function deployContext(
  o: DeployJobOptions,
  ctx: JobContext,
  c: Connected,
  note: (text: string) => void,
  probeImage: string,
): DeployContext {
  return {
    runner: c.runner,
    cleanupRunner: c.cleanupRunner,
    signal: ctx.signal,
    jobId: ctx.job.id,
    note,
    lock: {
      homeId: homeId(o.home),
      ttlS: ctx.job.timeout_s + 60,
      maxWaitMs: Math.min(15 * 60_000, ctx.job.timeout_s * 500),
      ownerGone: async (id) => {
        const j = await o.store.get(id);
        return !j || isTerminal(j.status);
      },
      ...(o.pollMs !== undefined ? { pollMs: Math.max(o.pollMs, 200) } : {}),
    },
    resolveImage: o.deploy.resolveImage,
    waitS: o.deploy.waitS,
    probeImage,
    pollMs: o.pollMs ?? 1000,
  };
}

/** Turns what a job threw into its outcome: cancel and timeout by the engine's reason, anything else failed. */
export function errorOutcome(err: unknown, ctx: JobContext, redactor: Redactor): HandlerOutcome {
  const reason = ctx.stopReason();
  if (reason === 'shutdown') return { kind: 'abandon' };
  if (reason === 'cancel')
    return {
      kind: 'cancelled',
      message: 'Cancelled. Swarm finishes or rolls back an update already under way on its own.',
    };
  if (reason === 'timeout') return { kind: 'timeout', message: 'Reached its time limit before the deploy finished.' };
  const code = err instanceof DeckhandError ? err.code : 'internal_error';
  return { kind: 'failed', error: { code, message: redactor.text(errorMessage(err)) } };
}
