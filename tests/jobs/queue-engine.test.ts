import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { SubmitSpec } from '../../src/jobs/engine.js';
import type { HandlerOutcome, JobContext, JobHandler } from '../../src/jobs/handler.js';
import { Housekeeper } from '../../src/jobs/housekeeping.js';
import { createJobKernel, type JobKernel } from '../../src/jobs/kernel.js';
import * as T from '../../src/jobs/types.js';
import { silentLogger } from '../../src/logger.js';
import { tempHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Queue policies through the real kernel: the real SQLite store and engine, a handler whose every attempt ends as
 * its script says. What only a real server can show (a command counting its runs) is in the remote-bash e2e test.
 */
type Step = { kind: 'exit'; code: number } | { kind: 'lost' } | { kind: 'hang' };

class Scripted implements JobHandler {
  async run(ctx: JobContext): Promise<HandlerOutcome> {
    const n = T.currentAttempt(ctx.job);
    const script = ctx.job.params.script as Step[];
    const step = script[Math.min(n, script.length) - 1]!;
    ctx.log.add('stdout', `attempt ${n} says hello`);
    await ctx.log.flush();
    if (step.kind === 'exit') return { kind: 'exit', exit_code: step.code };
    if (step.kind === 'lost') return { kind: 'lost', message: 'no exit status' };
    await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    const why = ctx.stopReason();
    if (why === 'shutdown') return { kind: 'abandon' };
    return why === 'cancel'
      ? { kind: 'cancelled', message: 'Cancelled.' }
      : { kind: 'timeout', message: 'Reached its time limit.' };
  }
}

const homes: ReturnType<typeof tempHome>[] = [];
const kernels: JobKernel[] = [];
afterEach(async () => {
  for (const k of kernels.splice(0)) await k.close();
  homes.splice(0).forEach((h) => h.cleanup());
});

async function kernel(home: string, o: { pollMs?: number } = {}): Promise<JobKernel> {
  const k = await createJobKernel({
    config: loadConfig({ DECKHAND_HOME: home }),
    logger: silentLogger(),
    process: { pid: process.pid, isAlive: () => true },
    ...o,
  });
  kernels.push(k);
  k.engine.register('scripted', new Scripted());
  await k.start();
  return k;
}

const policy = (over: Partial<T.RetryPolicy> = {}): T.RetryPolicy => ({
  attempts: 3,
  backoff: { kind: 'fixed', initial_s: 0, max_s: 0, jitter: false },
  retry_on: ['exit_code:75'],
  ...over,
});

const submit = (k: JobKernel, script: Step[], over: Partial<SubmitSpec> = {}) =>
  k.engine.submit({ type: 'scripted', server: null, params: { script }, timeout_s: 60, retry: policy(), ...over });

const ended = (k: JobKernel, id: string) =>
  waitFor(async () => {
    const j = await k.jobs.get(id);
    return T.isTerminal(j.status) && j;
  }, `job ${id} to end`);

describe('queue policies in the kernel', () => {
  it('fails twice with exit 75, then succeeds: completed after 3 attempts, each with its own log', async () => {
    const h = tempHome();
    homes.push(h);
    const k = await kernel(h.dir);
    const job = await submit(k, [
      { kind: 'exit', code: 75 },
      { kind: 'exit', code: 75 },
      { kind: 'exit', code: 0 },
    ]);
    const done = await ended(k, job.id);
    expect(done).toMatchObject({ status: 'completed', exit_code: 0 });
    expect(done.attempts.map((a) => [a.n, a.status, a.exit_code])).toEqual([
      [1, 'failed', 75],
      [2, 'failed', 75],
      [3, 'completed', 0],
    ]);
    for (const n of [1, 2, 3]) {
      const r = await k.jobs.read(job.id, { limit: 50, attempt: n });
      expect(r.lines.filter((l) => l.stream === 'stdout').map((l) => l.text)).toEqual([`attempt ${n} says hello`]);
    }
    // The whole log in one sequence, from cursor 0: every attempt in order.
    const all = await k.jobs.read(job.id, { cursor: 0, limit: 100 });
    expect(all.lines.filter((l) => l.stream === 'stdout').map((l) => l.text)).toEqual([
      'attempt 1 says hello',
      'attempt 2 says hello',
      'attempt 3 says hello',
    ]);
    expect(all.lines.map((l) => l.seq)).toEqual(all.lines.map((_, i) => i + 1));
  });

  it('a non-matching exit ends the job at once', async () => {
    const h = tempHome();
    homes.push(h);
    const k = await kernel(h.dir);
    const job = await submit(k, [
      { kind: 'exit', code: 1 },
      { kind: 'exit', code: 0 },
    ]);
    const done = await ended(k, job.id);
    expect(done).toMatchObject({ status: 'failed', exit_code: 1 });
    expect(done.attempts).toHaveLength(1);
  });

  it('a lost attempt is never retried, unless the command is idempotent', async () => {
    const h = tempHome();
    homes.push(h);
    const k = await kernel(h.dir);
    const script: Step[] = [{ kind: 'lost' }, { kind: 'exit', code: 0 }];
    const lost = await ended(k, (await submit(k, script)).id);
    expect(lost.status).toBe('lost');
    expect(lost.attempts).toHaveLength(1);
    const again = await ended(k, (await submit(k, script, { retry: policy({ idempotent: true }) })).id);
    expect(again.status).toBe('completed');
    expect(again.attempts.map((a) => a.status)).toEqual(['lost', 'completed']);
  });

  it('active_deadline_s bounds all attempts: the running attempt is stopped and the job fails deadline_exceeded', async () => {
    const h = tempHome();
    homes.push(h);
    const k = await kernel(h.dir);
    const job = await submit(k, [{ kind: 'exit', code: 75 }, { kind: 'hang' }], { active_deadline_s: 2 });
    const done = await ended(k, job.id);
    expect(done.error?.code).toBe('deadline_exceeded');
    expect(done.attempts.map((a) => a.error?.code)).toEqual(['exit_code', 'timeout']);
    const ms = Date.parse(done.finished_at!) - Date.parse(done.attempts[0]!.started_at!);
    expect(ms).toBeGreaterThanOrEqual(2000);
    expect(ms).toBeLessThan(4000);
  });

  it('a job waiting between attempts is scheduled, and a cancel then stops further attempts', async () => {
    const h = tempHome();
    homes.push(h);
    const k = await kernel(h.dir);
    const job = await submit(k, [{ kind: 'exit', code: 75 }], {
      retry: policy({ backoff: { kind: 'fixed', initial_s: 600, max_s: 600, jitter: false } }),
    });
    const waiting = await waitFor(async () => {
      const j = await k.jobs.get(job.id);
      return j.status === 'queued' && j.attempts.length === 1 && j;
    }, 'the retry to be scheduled');
    expect(Date.parse(waiting.not_before!) - Date.parse(waiting.attempts[0]!.finished_at)).toBe(600_000);
    const listed = await k.jobs.list({ not_before_after: Date.now() }, 10);
    expect(listed.jobs.map((j) => j.id)).toEqual([job.id]);
    const { job: cancelled } = await k.jobs.cancel(job.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
    expect(cancelled.attempts).toHaveLength(1);
  });

  it('a job delayed with not_before is scheduled, cancellable before it starts', async () => {
    const h = tempHome();
    homes.push(h);
    const k = await kernel(h.dir);
    const job = await submit(k, [{ kind: 'exit', code: 0 }], { retry: null, not_before: Date.now() + 3_600_000 });
    expect(job.status).toBe('queued');
    const { job: cancelled } = await k.jobs.cancel(job.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.started_at).toBeNull();
  });

  it('a delayed job starts at its time, not at the next look at the queue', async () => {
    const h = tempHome();
    homes.push(h);
    // The queue is looked at every 10 minutes here: only the engine's wake-up for the job's time can start it.
    const k = await kernel(h.dir, { pollMs: 600_000 });
    const at = Date.now() + 400;
    const job = await submit(k, [{ kind: 'exit', code: 0 }], { retry: null, not_before: at });
    expect(job.status).toBe('queued');
    const done = await waitFor(async () => {
      const j = await k.jobs.get(job.id);
      return j && T.isTerminal(j.status) ? j : undefined;
    }, 'the delayed job to run');
    expect(done.status).toBe('completed');
    expect(Date.parse(done.started_at!)).toBeGreaterThanOrEqual(at);
  });

  it('a retry scheduled before a restart still happens after it', async () => {
    const h = tempHome();
    homes.push(h);
    const first = await kernel(h.dir);
    const job = await submit(
      first,
      [
        { kind: 'exit', code: 75 },
        { kind: 'exit', code: 0 },
      ],
      {
        retry: policy({ backoff: { kind: 'fixed', initial_s: 2, max_s: 2, jitter: false } }),
      },
    );
    await waitFor(async () => (await first.jobs.get(job.id)).attempts.length === 1, 'attempt 1 to end');
    await first.close();
    kernels.splice(kernels.indexOf(first), 1);
    const second = await kernel(h.dir);
    const done = await ended(second, job.id);
    expect(done.status).toBe('completed');
    expect(done.attempts.map((a) => a.status)).toEqual(['failed', 'completed']);
    expect(Date.parse(done.attempts[1]!.started_at!)).toBeGreaterThanOrEqual(
      Date.parse(done.attempts[0]!.finished_at) + 2000,
    );
  });

  it('ttl_after_finished_s: the housekeeper removes the record and every attempt’s log once the time is up', async () => {
    const h = tempHome();
    homes.push(h);
    const k = await kernel(h.dir);
    const job = await submit(
      k,
      [
        { kind: 'exit', code: 75 },
        { kind: 'exit', code: 0 },
      ],
      { ttl_after_finished_s: 3600 },
    );
    const done = await ended(k, job.id);
    const dir = path.join(h.dir, 'jobs', job.id);
    expect(fs.existsSync(path.join(dir, 'attempt-2'))).toBe(true);
    let now = Date.parse(done.finished_at!) + 3_599_000;
    const hk = new Housekeeper({
      home: h.dir,
      stores: k.stores,
      config: loadConfig({ DECKHAND_HOME: h.dir }).jobs,
      onError: (err) => {
        throw err;
      },
      now: () => now,
    });
    await hk.expire();
    expect((await k.stores.jobs.get(job.id))?.status).toBe('completed');
    now += 1000;
    await hk.expire();
    expect(await k.stores.jobs.get(job.id)).toBeUndefined();
    expect(fs.existsSync(dir)).toBe(false);
    await hk.close();
  });
});
