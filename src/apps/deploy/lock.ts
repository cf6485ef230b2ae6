import { DeckhandError } from '../../errors.js';
import type { RemoteShell } from '../../ssh/remote-shell.js';
import { breakLockScript, lockScript, unlockScript } from './scripts.js';
import { pause } from '../../timing.js';

export interface LockOwner {
  readonly job?: string;
  readonly home?: string;
  readonly acquired?: number;
  readonly expires?: number;
}

export interface LockOptions {
  readonly runner: RemoteShell;
  readonly signal: AbortSignal;
  readonly jobId: string;
  /** Identifies this DECKHAND_HOME, so its own dead jobs' locks can be broken at once. */
  readonly homeId: string;
  /** How long the lock stays valid without its owner (the job's time limit): then anyone may break it. */
  readonly ttlS: number;
  readonly maxWaitMs: number;
  readonly pollMs?: number;
  /** True when `owner` is a job of this DECKHAND_HOME that is no longer running. */
  readonly ownerGone: (jobId: string) => Promise<boolean>;
  readonly note: (text: string) => void;
}

/**
 * One deploy or undeploy per stack at a time: `mkdir <stack>/.lock` on the server, with an owner file naming the
 * job. A second job waits for the first (up to maxWaitMs, then fails naming the holder). A lock whose owner is a
 * finished job of this DECKHAND_HOME, or that outlived its time limit, is stale and broken. The owning job re-run
 * after a restart of deckhand adopts its own lock.
 */
export async function acquireLock(stack: string, o: LockOptions): Promise<void> {
  const started = Date.now();
  let announced = false;
  for (;;) {
    o.signal.throwIfAborted();
    const r = await o.runner.must(lockScript(stack, o.jobId, o.homeId, o.ttlS), `taking the deploy lock of ${stack}`);
    const lines = r.stdout.trim().split('\n');
    if (lines[0] === 'acquired') return;
    const now = Number(lines[0]?.split(' ')[1] ?? 0);
    const ownerLine = lines[1] ?? '{}';
    let owner: LockOwner = {};
    try {
      owner = JSON.parse(ownerLine) as LockOwner;
    } catch {
      // An owner file cut short by a crash between mkdir and write: only its age can free it.
    }
    if (owner.job === o.jobId) {
      o.note(`${stack}: this job already holds the deploy lock (resumed after a restart of deckhand)`);
      return;
    }
    // Without an owner file (a crash between mkdir and its write) a minute of waiting is proof enough.
    const expired = typeof owner.expires === 'number' ? owner.expires < now : Date.now() - started > 60_000;
    const dead = owner.home === o.homeId && typeof owner.job === 'string' && (await o.ownerGone(owner.job));
    if (expired || dead) {
      const b = await o.runner.must(breakLockScript(stack, ownerLine), `breaking the stale deploy lock of ${stack}`);
      if (b.stdout.includes('broken'))
        o.note(
          `${stack}: broke a stale deploy lock of ${owner.job ?? 'an unknown job'} (${dead ? 'that job has ended' : 'it expired'})`,
        );
      continue;
    }
    const holder = owner.job ? `job ${owner.job}` : 'another deploy';
    if (Date.now() - started >= o.maxWaitMs) {
      throw new DeckhandError(
        'deploy_locked',
        `${stack} is being deployed or removed by ${holder}${owner.home === o.homeId ? '' : ' of another deckhand'}; waited ${Math.round((Date.now() - started) / 1000)} s.`,
        {
          hint: owner.job
            ? `Follow it with get-job-status {"job_id": "${owner.job}"} and deploy again once it has ended.`
            : 'Try again later.',
        },
      );
    }
    if (!announced) {
      o.note(`${stack}: waiting for ${holder}, which holds the deploy lock`);
      announced = true;
    }
    await pause(o.pollMs ?? 2000, o.signal);
  }
}

export async function releaseLock(runner: RemoteShell, stack: string, jobId: string): Promise<void> {
  await runner.run(unlockScript(stack, jobId), { timeoutMs: 30_000 });
}
