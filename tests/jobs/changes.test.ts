import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineEvents, JobEngine } from '../../src/jobs/engine.js';
import type { StoreChange, Stores } from '../../src/jobs/store/contract.js';
import { createJob, type Job } from '../../src/jobs/types.js';
import { JobChanges, type JobLifecycle } from '../../src/jobs/changes.js';
import { ResourceSubscriptions } from '../../src/mcp/subscriptions.js';

/**
 * An engine stand-in: its events are the local ones; `stored` is what another process left in the store, and
 * `hint` is the store's change source telling this process about it.
 */
function fakeEngine() {
  const events = new EventEmitter<EngineEvents>();
  const stored = new Map<string, Job>();
  const listeners = new Set<(c: StoreChange) => void>();
  const stores = {
    jobs: {
      active: async () => [...stored.values()].filter((j) => j.status === 'queued' || j.status === 'running'),
      get: async (id: string) => stored.get(id),
    },
    changes: {
      watch: (l: (c: StoreChange) => void) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
      announceLines: () => undefined,
    },
  } as unknown as Pick<Stores, 'jobs' | 'changes'>;
  const hint = async (c: StoreChange) => {
    for (const l of listeners) l(c);
    await vi.advanceTimersByTimeAsync(0);
  };
  return { engine: { events } as unknown as JobEngine, events, stored, stores, hint, listeners };
}

const base = createJob({ type: 'remote-bash', server: 'box', params: {}, timeout_s: 60 }, new Date(0));
const at = (id: string, status: Job['status'], extra: Partial<Job> = {}): Job => ({
  ...base,
  id,
  status,
  attempt: status === 'queued' ? 0 : 1,
  ...extra,
});
const ID = 'job_01JD3Q8X5K2M7N4P6R8S0T2V4W';
const OTHER = 'job_01JD3Q8X5K2M7N4P6R8S0T2V4X';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

function record(feed: JobChanges) {
  const seen: [string, Job['status'], JobLifecycle | undefined][] = [];
  feed.events.on('job', (j, l) => seen.push([j.id, j.status, l]));
  return seen;
}

describe('JobChanges', () => {
  it('turns local engine events into lifecycle steps, once each', async () => {
    const { engine, events, stores } = fakeEngine();
    const feed = new JobChanges({ engine, stores });
    const seen = record(feed);
    const release = feed.retain();
    await vi.advanceTimersByTimeAsync(0);
    events.emit('job', at(ID, 'queued'));
    events.emit('job', at(ID, 'running'));
    events.emit('job', at(ID, 'running', { cancel_requested_at: 'now' }));
    events.emit('job', at(ID, 'cancelled'));
    events.emit('job', at(ID, 'cancelled'));
    feed.promoted(at(OTHER, 'running'));
    expect(seen).toEqual([
      [ID, 'queued', 'queued'],
      [ID, 'running', 'started'],
      [ID, 'running', undefined],
      [ID, 'cancelled', 'cancelled'],
      [OTHER, 'running', 'promoted'],
    ]);
    release();
    expect(events.listenerCount('job') + events.listenerCount('lines')).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sees jobs run by another process through the store, without replaying what was there before', async () => {
    const { engine, stored, stores, hint } = fakeEngine();
    stored.set(OTHER, at(OTHER, 'running'));
    const feed = new JobChanges({ engine, stores });
    const seen = record(feed);
    const release = feed.retain();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual([]);
    stored.set(ID, at(ID, 'queued'));
    await hint({ kind: 'job', id: ID });
    stored.set(ID, at(ID, 'running'));
    await hint({ kind: 'job', id: ID });
    stored.set(OTHER, at(OTHER, 'lost'));
    await hint({ kind: 'job', id: OTHER });
    stored.set(ID, at(ID, 'failed', { exit_code: 2 }));
    await hint({ kind: 'job', id: ID });
    expect(seen).toEqual([
      [ID, 'queued', 'queued'],
      [ID, 'running', 'started'],
      [OTHER, 'lost', 'lost'],
      [ID, 'failed', 'finished'],
    ]);
    release();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a burst of hints is read one job at a time; jobs first seen long finished are history, not news', async () => {
    const { engine, stored, stores, hint } = fakeEngine();
    let reading = 0;
    let most = 0;
    const get = stores.jobs.get.bind(stores.jobs);
    (stores.jobs as { get: typeof get }).get = async (id) => {
      most = Math.max(most, ++reading);
      await Promise.resolve();
      reading--;
      return get(id);
    };
    const feed = new JobChanges({ engine, stores });
    const seen = record(feed);
    const release = feed.retain();
    await vi.advanceTimersByTimeAsync(0);
    // Another process wrote 500 jobs that ended an hour ago (a restore, a bulk import) and one that ended just now.
    const ids = Array.from({ length: 500 }, (_, i) => `job_01JD3Q8X5K2M7N4P6R8S${String(i).padStart(6, '0')}`);
    const longAgo = new Date(Date.now() - 3_600_000).toISOString();
    for (const id of ids) stored.set(id, at(id, 'completed', { finished_at: longAgo }));
    stored.set(ID, at(ID, 'completed', { finished_at: new Date(Date.now() - 1000).toISOString() }));
    for (const id of [...ids, ID]) void hint({ kind: 'job', id });
    await vi.advanceTimersByTimeAsync(0);
    await vi.waitFor(() => expect(seen).toEqual([[ID, 'completed', 'finished']]));
    expect(most).toBe(1);
    release();
  });

  it('ignores a stale store snapshot that is older than what the engine already said', async () => {
    const { engine, events, stored, stores, hint } = fakeEngine();
    const feed = new JobChanges({ engine, stores });
    const seen = record(feed);
    const release = feed.retain();
    await vi.advanceTimersByTimeAsync(0);
    events.emit('job', at(ID, 'running'));
    stored.set(ID, at(ID, 'queued'));
    await hint({ kind: 'job', id: ID });
    events.emit('job', at(ID, 'completed'));
    stored.set(ID, at(ID, 'running'));
    await hint({ kind: 'job', id: ID });
    expect(seen.map((s) => s[2])).toEqual(['started', 'finished']);
    release();
  });

  it('reports lines written by another process, and stops listening to the store when released', async () => {
    const { engine, stores, hint, listeners } = fakeEngine();
    const feed = new JobChanges({ engine, stores });
    const lines: string[] = [];
    feed.events.on('lines', (id) => lines.push(id));
    const release = feed.retain();
    const unwatch = feed.watchLog(ID);
    await hint({ kind: 'lines', id: ID, seq: 1 });
    expect(lines).toEqual([ID]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(lines).toEqual([ID]);
    unwatch();
    release();
    expect(listeners.size).toBe(0);
    await hint({ kind: 'lines', id: ID, seq: 2 });
    expect(lines).toEqual([ID]);
  });
});

describe('ResourceSubscriptions', () => {
  const logUri = `deckhand://jobs/${ID}/log`;
  const recordUri = `deckhand://jobs/${ID}`;

  function setup() {
    const { engine, events, stores } = fakeEngine();
    const feed = new JobChanges({ engine, stores });
    const sent: { at: number; uri: string }[] = [];
    const subs = new ResourceSubscriptions({
      changes: feed,
      send: async (uri) => {
        sent.push({ at: Date.now(), uri });
      },
    });
    return { events, feed, subs, sent };
  }

  it('sends the first change at once and gathers the rest into one update per 500 ms per resource', async () => {
    const { events, subs, sent } = setup();
    subs.subscribe(logUri);
    subs.subscribe(recordUri);
    events.emit('lines', ID, 1);
    for (let i = 0; i < 20; i++) {
      await vi.advanceTimersByTimeAsync(50);
      events.emit('lines', ID, i + 2);
    }
    await vi.advanceTimersByTimeAsync(600);
    const log = sent.filter((s) => s.uri === logUri);
    // Changes from 0 to 1000 ms: sent at 0, 500, 1000 and 1500 (the last change, at 1000, trails).
    expect(log.map((s) => s.at - log[0]!.at)).toEqual([0, 500, 1000, 1500]);
    const gaps = log.slice(1).map((s, i) => s.at - log[i]!.at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(500);
    // Lines do not change the record; a job change updates both.
    expect(sent.filter((s) => s.uri === recordUri)).toEqual([]);
    events.emit('job', at(ID, 'completed'));
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.filter((s) => s.uri === recordUri)).toHaveLength(1);
    subs.close();
  });

  it('ignores other jobs and URIs it does not serve', async () => {
    const { events, subs, sent } = setup();
    subs.subscribe('test://watched-resource');
    subs.subscribe(logUri);
    events.emit('lines', OTHER, 1);
    events.emit('job', at(OTHER, 'running'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toEqual([]);
    expect(subs.has('test://watched-resource')).toBe(true);
    subs.close();
  });

  it('unsubscribe drops a pending update; close leaves no listener, watcher or timer', async () => {
    const { events, feed, subs, sent } = setup();
    subs.subscribe(logUri);
    events.emit('lines', ID, 1);
    events.emit('lines', ID, 2);
    expect(sent).toHaveLength(1);
    subs.unsubscribe(logUri);
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent).toHaveLength(1);
    expect(feed.listening).toBe(false);
    expect(feed.events.listenerCount('job') + feed.events.listenerCount('lines')).toBe(0);
    expect(events.listenerCount('job') + events.listenerCount('lines')).toBe(0);

    subs.subscribe(recordUri);
    subs.subscribe(logUri);
    events.emit('lines', ID, 3);
    events.emit('lines', ID, 4);
    expect(feed.listening).toBe(true);
    subs.close();
    expect(subs.size).toBe(0);
    expect(feed.listening).toBe(false);
    expect(events.listenerCount('job') + events.listenerCount('lines')).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    subs.subscribe(logUri);
    expect(subs.size).toBe(0);
  });
});
