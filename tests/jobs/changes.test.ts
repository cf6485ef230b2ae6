import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineEvents, JobEngine } from '../../src/jobs/engine.js';
import { jobDir, JobLogWriter } from '../../src/jobs/job-log.js';
import { createJob, type Job } from '../../src/jobs/types.js';
import { JobChanges, type JobLifecycle } from '../../src/jobs/changes.js';
import { ResourceSubscriptions } from '../../src/mcp/subscriptions.js';

/** An engine stand-in: its events are the local ones; `stored` is what another process left in the store. */
function fakeEngine() {
  const events = new EventEmitter<EngineEvents>();
  const stored = new Map<string, Job>();
  const store = {
    active: async () => [...stored.values()].filter((j) => j.status === 'queued' || j.status === 'running'),
    get: async (id: string) => stored.get(id),
  };
  return { engine: { events, store } as unknown as JobEngine, events, stored };
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

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-feed-'));
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
  fs.rmSync(home, { recursive: true, force: true });
});

function record(feed: JobChanges) {
  const seen: [string, Job['status'], JobLifecycle | undefined][] = [];
  feed.events.on('job', (j, l) => seen.push([j.id, j.status, l]));
  return seen;
}

describe('JobChanges', () => {
  it('turns local engine events into lifecycle steps, once each', async () => {
    const { engine, events } = fakeEngine();
    const feed = new JobChanges({ engine, home, pollMs: 500 });
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
    const { engine, stored } = fakeEngine();
    stored.set(OTHER, at(OTHER, 'running'));
    const feed = new JobChanges({ engine, home, pollMs: 500 });
    const seen = record(feed);
    const release = feed.retain();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual([]);
    stored.set(ID, at(ID, 'queued'));
    await vi.advanceTimersByTimeAsync(500);
    stored.set(ID, at(ID, 'running'));
    await vi.advanceTimersByTimeAsync(500);
    stored.set(ID, at(ID, 'failed', { exit_code: 2 }));
    stored.set(OTHER, at(OTHER, 'lost'));
    await vi.advanceTimersByTimeAsync(500);
    expect(seen).toEqual([
      [ID, 'queued', 'queued'],
      [ID, 'running', 'started'],
      [OTHER, 'lost', 'lost'],
      [ID, 'failed', 'finished'],
    ]);
    release();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ignores a stale store snapshot that is older than what the engine already said', async () => {
    const { engine, events, stored } = fakeEngine();
    const feed = new JobChanges({ engine, home, pollMs: 500 });
    const seen = record(feed);
    const release = feed.retain();
    await vi.advanceTimersByTimeAsync(0);
    events.emit('job', at(ID, 'running'));
    stored.set(ID, at(ID, 'queued'));
    await vi.advanceTimersByTimeAsync(500);
    events.emit('job', at(ID, 'completed'));
    stored.set(ID, at(ID, 'running'));
    await vi.advanceTimersByTimeAsync(500);
    expect(seen.map((s) => s[2])).toEqual(['started', 'finished']);
    release();
  });

  it('reports lines written by another process to a watched log, and stops watching when released', async () => {
    const { engine } = fakeEngine();
    const feed = new JobChanges({ engine, home, pollMs: 500 });
    const lines: string[] = [];
    feed.events.on('lines', (id) => lines.push(id));
    const release = feed.retain();
    const unwatch = feed.watchLog(ID);
    const writer = new JobLogWriter(jobDir(home, ID), { maxBytes: 1024 * 1024 });
    writer.add('stdout', 'hello');
    writer.flush();
    await vi.advanceTimersByTimeAsync(500);
    expect(lines).toEqual([ID]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(lines).toEqual([ID]);
    unwatch();
    writer.add('stdout', 'again');
    writer.flush();
    await vi.advanceTimersByTimeAsync(1000);
    expect(lines).toEqual([ID]);
    writer.close();
    release();
  });
});

describe('ResourceSubscriptions', () => {
  const logUri = `deckhand://jobs/${ID}/log`;
  const recordUri = `deckhand://jobs/${ID}`;

  function setup() {
    const { engine, events } = fakeEngine();
    const feed = new JobChanges({ engine, home, pollMs: 500 });
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
