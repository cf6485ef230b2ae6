import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineEvents, JobEngine } from '../../src/jobs/engine.js';
import { createJob, type Job } from '../../src/jobs/types.js';
import { JobChanges } from '../../src/jobs/changes.js';
import type { Stores } from '../../src/jobs/store/contract.js';
import { followJobProgress } from '../../src/mcp/progress.js';
import type { ToolExtra } from '../../src/mcp/progress.js';

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-jobprogress-'));
  vi.useFakeTimers({ now: 5_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('followJobProgress', () => {
  it('reports the job and its newest line as they change, and lets go of everything on stop', async () => {
    const events = new EventEmitter<EngineEvents>();
    const engine = { events } as unknown as JobEngine;
    const stores = {
      jobs: { active: async () => [], get: async () => undefined },
      changes: { watch: () => () => undefined, announceLines: () => undefined },
    } as unknown as Pick<Stores, 'jobs' | 'changes'>;
    const feed = new JobChanges({ engine, stores });
    let job: Job = {
      ...createJob({ type: 'create-server', server: 'web-1', params: {}, timeout_s: 600 }, new Date()),
      status: 'running',
    };
    let line = 'ordering the server';
    const jobs = { get: async () => job, read: async () => ({ lines: [{ text: line }] }) };
    const messages: string[] = [];
    const extra = {
      _meta: { progressToken: 1 },
      sendNotification: async (n: { params: { message: string } }) => {
        messages.push(n.params.message);
      },
    } as unknown as ToolExtra;

    const progress = followJobProgress(extra, { changes: feed, jobs }, job.id);
    await vi.advanceTimersByTimeAsync(0);
    expect(messages.at(-1)).toMatch(/running 0 s: ordering the server$/);
    line = 'waiting for SSH';
    await vi.advanceTimersByTimeAsync(300);
    events.emit('lines', job.id, 2);
    await vi.advanceTimersByTimeAsync(0);
    expect(messages.at(-1)).toMatch(/: waiting for SSH$/);
    job = { ...job, progress: { step: 'verify host key' } };
    await vi.advanceTimersByTimeAsync(300);
    events.emit('job', job);
    await vi.advanceTimersByTimeAsync(0);
    expect(messages.at(-1)).toMatch(/\[verify host key\]/);

    await progress.stop();
    const count = messages.length;
    events.emit('lines', job.id, 3);
    await vi.advanceTimersByTimeAsync(5000);
    expect(messages).toHaveLength(count);
    expect(feed.listening).toBe(false);
    expect(events.listenerCount('job') + events.listenerCount('lines')).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
