import fs from 'node:fs/promises';
import path from 'node:path';
import { DeckhandError, errorMessage } from '../errors.js';
import { formatBytes } from '../format.js';
import type { HandlerOutcome, JobContext, JobHandler, StopReason } from '../jobs/handler.js';
import { errorCode } from '../jobs/kit/errors.js';
import type { JobProgress } from '../jobs/types.js';
import type { Inventory } from '../servers/index.js';
import { confineLocalPath } from '../ssh/local-path.js';
import type { SshPool } from '../ssh/pool.js';
import { partialPath, transfer, type TransferProgress, type TransferResult } from '../ssh/transfer.js';
import { backoff, pause } from '../timing.js';

export const TRANSFER_JOB = 'transfer-file';

/** What a transfer job records (no secrets: paths only). `local_path` is already confined, as a real path. */
export interface TransferParams {
  readonly direction: 'upload' | 'download';
  readonly local_path: string;
  readonly remote_path: string;
}

/** Failures a new connection can cure: the copy is tried again and resumes from the bytes already there. */
const RETRYABLE = new Set([
  'connection_lost',
  'connection_refused',
  'connect_timeout',
  'host_unreachable',
  'bastion_unreachable',
  'channel_failed',
  'ssh_error',
]);

const RECONNECT = { base: 500, max: 30_000, jitter: 0.2 };

/**
 * Runs transfer-file: copies over the server's pooled SFTP session, writing `<dest>.deckhand-partial` and renaming
 * it into place once both sides' sha256 agree (ssh/transfer.ts). A dropped connection, or deckhand stopping and a
 * new process taking the job over, resumes from the bytes already there. Progress (bytes, rate, seconds left)
 * goes to the job record, where get-job-status and MCP progress notifications read it.
 */
export class TransferHandler implements JobHandler {
  constructor(private readonly o: { inventory: Inventory; pool: SshPool; filesRoot: string | undefined }) {}

  async run(ctx: JobContext): Promise<HandlerOutcome> {
    const p = ctx.job.params as unknown as TransferParams;
    const arrow =
      p.direction === 'upload'
        ? `${p.local_path} → ${ctx.job.server}:${p.remote_path}`
        : `${ctx.job.server}:${p.remote_path} → ${p.local_path}`;
    let local: string;
    try {
      // Again at run time: a process taking the job over may run with another DECKHAND_FILES_ROOT (or none).
      local = await confineLocalPath(this.o.filesRoot, p.local_path);
      // A download may name a directory not made yet; confined, it is inside the root.
      if (p.direction === 'download') await fs.mkdir(path.dirname(local), { recursive: true });
    } catch (err) {
      return failed(err);
    }
    let retries = 0;
    let verifyRetried = false;
    let last: TransferProgress | undefined;
    if (ctx.recovering) ctx.note('deckhand restarted: resuming the transfer from the bytes already copied');
    for (;;) {
      const reason = ctx.stopReason();
      if (reason) return stopped(reason, p, last);
      let lease;
      try {
        const server = await this.o.inventory.get(ctx.job.server ?? '');
        lease = await this.o.pool.acquire(server, ctx.signal);
      } catch (err) {
        if (ctx.signal.aborted) continue;
        if (!RETRYABLE.has(errorCode(err))) return failed(err);
        retries++;
        ctx.note(
          `cannot reach the server (${errorMessage(err)}); retrying in ${Math.round(backoff(retries, RECONNECT) / 1000)} s`,
        );
        await pause(backoff(retries, RECONNECT), ctx.signal);
        continue;
      }
      try {
        const server = await this.o.inventory.get(ctx.job.server ?? '');
        ctx.note(`${retries || ctx.job.attempt > 1 ? 'continuing' : 'starting'} ${p.direction}: ${arrow}`);
        const r = await transfer(await lease.sftp(), {
          direction: p.direction,
          localPath: local,
          remotePath: p.remote_path,
          signal: ctx.signal,
          loginUser: server.user,
          progressEveryMs: 500,
          onProgress: (pr) => {
            if (!last || pr.resumedFrom !== last.resumedFrom) {
              if (pr.resumedFrom > 0)
                ctx.note(`resuming from byte ${pr.resumedFrom} (${formatBytes(pr.resumedFrom)} already there)`);
            }
            last = pr;
            ctx.progress(progressOf(pr));
          },
        });
        ctx.note(`verified: sha256 ${r.sha256} on both sides (the server's via ${r.remoteHashVia})`);
        return { kind: 'completed', result: resultOf(p, r) };
      } catch (err) {
        if (ctx.signal.aborted) continue;
        const code = errorCode(err);
        if (code === 'transfer_verify_failed' && !verifyRetried) {
          verifyRetried = true;
          ctx.note(`${errorMessage(err)} Starting over once.`);
          continue;
        }
        if (!RETRYABLE.has(code)) return failed(err);
        lease.discard();
        retries++;
        ctx.note(`the connection dropped (${errorMessage(err)}); reconnecting to resume`);
        await pause(backoff(retries, RECONNECT), ctx.signal);
      } finally {
        lease.release();
      }
    }
  }
}

function progressOf(pr: TransferProgress): JobProgress {
  const percent = pr.bytesTotal > 0 ? Math.floor((pr.bytesDone / pr.bytesTotal) * 1000) / 10 : 100;
  const eta = pr.etaSeconds === undefined ? '' : `, ${Math.ceil(pr.etaSeconds)} s left`;
  return {
    percent,
    done: pr.bytesDone,
    total: pr.bytesTotal,
    unit: 'bytes',
    rate: Math.round(pr.rate),
    ...(pr.etaSeconds === undefined ? {} : { eta_s: Math.ceil(pr.etaSeconds) }),
    message: `${formatBytes(pr.bytesDone)} of ${formatBytes(pr.bytesTotal)} (${percent}%), ${formatBytes(Math.round(pr.rate))}/s${eta}`,
  };
}

function resultOf(p: TransferParams, r: TransferResult): Record<string, unknown> {
  return {
    direction: p.direction,
    local_path: p.local_path,
    remote_path: p.remote_path,
    bytes: r.bytesTotal,
    bytes_copied: r.bytesCopied,
    resumed_from: r.resumedFrom,
    sha256: r.sha256,
    duration_ms: r.durationMs,
    rate: r.durationMs > 0 ? Math.round((r.bytesCopied / r.durationMs) * 1000) : null,
  };
}

function stopped(reason: StopReason, p: TransferParams, last: TransferProgress | undefined): HandlerOutcome {
  // A new process takes the job over and resumes from the partial file.
  if (reason === 'shutdown') return { kind: 'abandon' };
  const partial = partialPath(p.direction === 'upload' ? p.remote_path : p.local_path);
  const where = last ? ` after ${formatBytes(last.bytesDone)} of ${formatBytes(last.bytesTotal)}` : '';
  const kept = `the partial file ${partial} is kept: transfer-file with the same paths resumes from it (or delete it)`;
  return reason === 'cancel'
    ? { kind: 'cancelled', message: `Cancelled${where}; ${kept}.` }
    : { kind: 'timeout', message: `Reached its time limit${where}; ${kept}.` };
}

function failed(err: unknown): HandlerOutcome {
  const e = err instanceof DeckhandError ? err : undefined;
  return { kind: 'failed', error: { code: errorCode(err), message: e ? e.userMessage : errorMessage(err) } };
}
