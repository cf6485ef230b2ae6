import { EventEmitter } from 'node:events';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeckhandError } from '../../../src/errors.js';
import type { EngineEvents } from '../../../src/jobs/events.js';
import { LocalJobFiles } from '../../../src/jobs/files.js';
import type { HandlerOutcome, JobContext, JobHandler } from '../../../src/jobs/handler.js';
import { Runs } from '../../../src/jobs/run.js';
import type { Job } from '../../../src/jobs/types.js';
import { waitFor } from '../../helpers/wait.js';
import { migratedHomes } from '../../helpers/sqlite-home.js';
import { openFixture, type StoreFixture } from './parts.js';

/** A handler the test drives: it records its context and ends when the test (or its signal) says. */
function driven(onRun: (ctx: JobContext) => Promise<HandlerOutcome>): JobHandler & { contexts: JobContext[] } {
  const contexts: JobContext[] = [];
  return {
    contexts,
    run: (ctx) => {
      contexts.push(ctx);
      return onRun(ctx);
    },
  };
}

/** Works until its signal aborts (which may have happened before it started), then ends as the reason says. */
const untilStopped = (ctx: JobContext): Promise<HandlerOutcome> =>
  new Promise((resolve) => {
    const end = () =>
      resolve(
        ctx.stopReason() === 'timeout'
          ? { kind: 'timeout', message: 'timed out' }
          : ctx.stopReason() === 'cancel'
            ? { kind: 'cancelled', message: 'cancelled' }
            : { kind: 'abandon' },
      );
    if (ctx.signal.aborted) end();
    else ctx.signal.addEventListener('abort', end);
  });

describe('Runs (real SQLite store, fake handlers)', () => {
  const homes = migratedHomes();
  afterAll(() => homes.cleanup());
  let f: StoreFixture;
  let events: EventEmitter<EngineEvents>;
  let handlers: Map<string, JobHandler>;
  let claimed: Job[];
  let slotsFreed: number;
  let childEnded: string[];
  let runs: Runs;
  let maxForInstance: number;

  beforeEach(async () => {
    f = await openFixture(homes);
    events = new EventEmitter<EngineEvents>();
    handlers = new Map();
    claimed = [];
    slotsFreed = 0;
    childEnded = [];
    maxForInstance = 4;
    runs = new Runs({
      stores: f.stores,
      files: new LocalJobFiles(f.home),
      config: { logMaxBytes: 1024 * 1024 },
      events,
      handler: (type) => handlers.get(type),
      claimRequest: () => f.claim({ maxForInstance }),
      onClaimed: (jobs) => void claimed.push(...jobs),
      onSlotFree: () => void slotsFreed++,
      onChildEnded: async (id) => void childEnded.push(id),
      onError: f.onError,
    });
  });
  afterEach(async () => {
    await runs.stopAll();
    await f.close();
  });

  const start = async (o: Parameters<StoreFixture['spec']>[0] = {}) =>
    f.stores.jobs.createAndClaim(f.spec(o), f.claim({ maxForInstance }));
  const ended = (id: string) =>
    waitFor(async () => {
      const j = await f.stores.jobs.get(id);
      return j && !runs.has(id) && ['completed', 'failed', 'cancelled', 'lost'].includes(j.status) ? j : undefined;
    }, `job ${id} to end`);
  const logText = async (id: string) =>
    (await f.stores.logs.read(id, { limit: 100 })).lines.map((l) => `${l.stream}: ${l.text}`);

  it('runs the handler once, records its outcome and log, frees the slot and tells of every change', async () => {
    const h = driven(async (ctx) => {
      ctx.log.add('stdout', 'hello');
      ctx.note('a note');
      ctx.progress({ done: 1, total: 2 });
      return { kind: 'completed', result: { answer: 42 } };
    });
    handlers.set('fake', h);
    const seen: string[] = [];
    events.on('job', (j) => seen.push(j.status));
    const job = await start();
    runs.launch(job, false);
    runs.launch(job, false); // a second launch of the same job (a recovery racing a claim) runs nothing more
    expect(runs.size).toBe(1);
    const done = await ended(job.id);
    expect(h.contexts).toHaveLength(1);
    expect(h.contexts[0]!.recovering).toBe(false);
    expect(done).toMatchObject({ status: 'completed', result: { answer: 42 } });
    expect(await logText(job.id)).toEqual(['stdout: hello', 'system: a note', 'system: job completed']);
    expect(seen).toContain('completed');
    expect(slotsFreed).toBe(1);
    expect(runs.size).toBe(0);
    expect(f.errors).toEqual([]);
  });

  it('answers a job of a type nobody registered, and a handler that throws, with a failed job', async () => {
    const unknown = await start({ type: 'nobody' });
    runs.launch(unknown, false);
    expect((await ended(unknown.id)).error).toMatchObject({ code: 'unknown_type' });

    handlers.set(
      'fake',
      driven(async () => Promise.reject(new DeckhandError('busy', 'the thing is busy'))),
    );
    const thrown = await start();
    runs.launch(thrown, false);
    expect((await ended(thrown.id)).error).toEqual({ code: 'busy', message: 'the thing is busy' });
  });

  it('stops a run whose deadline has passed with reason timeout, and one with a cancel request with cancel', async () => {
    handlers.set('fake', driven(untilStopped));
    const late = await start({ timeout_s: 1 });
    // Started two seconds ago as far as its record says: the deadline is behind us.
    runs.launch({ ...late, started_at: new Date(Date.now() - 2000).toISOString() }, false);
    expect(await ended(late.id)).toMatchObject({ status: 'failed', error: { code: 'timeout' } });

    const cancelled = await start();
    runs.launch({ ...cancelled, cancel_requested_at: new Date().toISOString() }, false);
    expect((await ended(cancelled.id)).status).toBe('cancelled');

    const live = await start();
    runs.launch(live, false);
    await waitFor(() => runs.has(live.id), 'the run to start');
    runs.stop(live.id, 'cancel');
    expect((await ended(live.id)).status).toBe('cancelled');
  });

  it('keeps a time limit past 24.8 days (setTimeout fires at once beyond 2^31-1 ms): re-armed in steps', async () => {
    handlers.set('fake', driven(untilStopped));
    const job = await start({ timeout_s: 40 * 24 * 3600 });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.parse(job.started_at!) });
    try {
      runs.launch(job, false);
      await vi.advanceTimersByTimeAsync(30 * 24 * 3600 * 1000);
      expect(runs.has(job.id)).toBe(true);
      await vi.advanceTimersByTimeAsync(10 * 24 * 3600 * 1000 + 1000);
    } finally {
      vi.useRealTimers();
    }
    expect(await ended(job.id)).toMatchObject({ status: 'failed', error: { code: 'timeout' } });
  });

  it('abandons at shutdown: the job stays running in the store for the next owner, and stopAll waits', async () => {
    handlers.set('fake', driven(untilStopped));
    const job = await start();
    runs.launch(job, false);
    await waitFor(() => runs.size === 1, 'the run to start');
    await runs.stopAll();
    expect(runs.size).toBe(0);
    expect(await f.stores.jobs.get(job.id)).toMatchObject({ status: 'running', owner: { instance: f.instance.id } });
  });

  it('runs cleanup only once the outcome is stored, and stopAll waits for it', async () => {
    let statusInCleanup: string | undefined;
    let cleaned = false;
    handlers.set(
      'fake',
      driven(async (ctx) => ({
        kind: 'completed',
        cleanup: async () => {
          statusInCleanup = (await f.stores.jobs.get(ctx.job.id))?.status;
          cleaned = true;
        },
      })),
    );
    const job = await start();
    runs.launch(job, false);
    await ended(job.id);
    await runs.stopAll();
    expect(cleaned).toBe(true);
    expect(statusInCleanup).toBe('completed');
  });

  it('passes its slot on in the same write: the queued job it makes room for is claimed by the finish', async () => {
    maxForInstance = 1;
    let finish!: () => void;
    const gate = new Promise<void>((r) => (finish = r));
    handlers.set(
      'fake',
      driven(async () => (await gate, { kind: 'completed' })),
    );
    const first = await start();
    const [queued] = await f.stores.jobs.create([f.spec()], Date.now());
    expect(first.status).toBe('running');
    runs.launch(first, false);
    finish();
    await ended(first.id);
    await waitFor(() => claimed.length > 0, 'the finish to claim the queued job');
    expect(claimed.map((j) => j.id)).toEqual([queued!.id]);
    expect(claimed[0]!.status).toBe('running');
  });

  it('tells the batch when a child ends, and a child does not pass its slot on by itself', async () => {
    const [parent] = await f.stores.jobs.create([f.spec({ type: 'batch', status: 'running' })], Date.now());
    handlers.set(
      'fake',
      driven(async () => ({ kind: 'exit', exit_code: 3 })),
    );
    const child = await start({ parent_id: parent!.id });
    await f.stores.jobs.create([f.spec()], Date.now());
    runs.launch(child, false);
    expect((await ended(child.id)).exit_code).toBe(3);
    await waitFor(() => childEnded.length > 0, 'the batch to hear of it');
    expect(childEnded).toEqual([parent!.id]);
    expect(claimed).toEqual([]);
  });
});
