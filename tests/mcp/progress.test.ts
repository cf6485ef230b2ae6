import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createJob, type Job } from '../../src/jobs/types.js';
import { waitProgress, type ToolExtra } from '../../src/mcp/progress.js';

interface Sent {
  at: number;
  progress: number;
  message: string;
}

function fakeExtra(token: string | number | undefined, onSend?: () => Promise<void>) {
  const sent: Sent[] = [];
  const extra = {
    _meta: token === undefined ? {} : { progressToken: token },
    sendNotification: vi.fn(async (n: { params: { progress: number; message: string; progressToken: unknown } }) => {
      expect(n.params.progressToken).toBe(token);
      sent.push({ at: Date.now(), progress: n.params.progress, message: n.params.message });
      await onSend?.();
    }),
  } as unknown as ToolExtra;
  return { extra, sent };
}

const job = (status: Job['status'], step?: string): Job => ({
  ...createJob({ type: 'remote-bash', server: 'box', params: {}, timeout_s: 60 }, new Date(0)),
  status,
  progress: step ? { step } : {},
});

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('waitProgress', () => {
  it('does nothing without a progressToken', async () => {
    const { extra, sent } = fakeExtra(undefined);
    const p = waitProgress(extra);
    p.tick(job('running'), 'line');
    await vi.advanceTimersByTimeAsync(10_000);
    await p.stop();
    expect(sent).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sends each new line at once, at most every 200 ms, with increasing progress', async () => {
    const { extra, sent } = fakeExtra('tok');
    const p = waitProgress(extra);
    p.tick(job('running'), 'one');
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map((s) => s.message)).toEqual([expect.stringMatching(/running 0 s: one$/)]);
    // Same state again: nothing new to say before the heartbeat.
    p.tick(job('running'), 'one');
    await vi.advanceTimersByTimeAsync(100);
    expect(sent).toHaveLength(1);
    // A new line within 200 ms waits for the gap, then goes out; the newest line wins.
    p.tick(job('running'), 'two');
    p.tick(job('running'), 'three');
    await vi.advanceTimersByTimeAsync(150);
    expect(sent).toHaveLength(2);
    expect(sent[1]?.message).toMatch(/: three$/);
    expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(200);
    // A step is news too.
    await vi.advanceTimersByTimeAsync(300);
    p.tick(job('running', 'pulling images'), undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.at(-1)?.message).toMatch(/\[pulling images\].*: three$/);
    expect(sent.map((s) => s.progress)).toEqual([1, 2, 3]);
    await p.stop();
  });

  it('sends a heartbeat when nothing changed for 1 s, so gaps never reach 2 s', async () => {
    const { extra, sent } = fakeExtra(7);
    const p = waitProgress(extra);
    p.tick(job('queued'), undefined);
    await vi.advanceTimersByTimeAsync(10_000);
    const gaps = sent.slice(1).map((s, i) => s.at - sent[i]!.at);
    expect(sent.length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1000);
    expect(sent.at(-1)?.message).toMatch(/queued 10 s$/);
    await p.stop();
  });

  it('sends nothing after stop, and stop waits for a notification still being written', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { extra, sent } = fakeExtra('t', () => gate);
    const p = waitProgress(extra);
    p.tick(job('running'), 'a');
    let stopped = false;
    const stopping = p.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    release();
    await stopping;
    p.tick(job('running'), 'b');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sent.map((s) => s.message)).toEqual([expect.stringMatching(/: a$/)]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("says the job's step message as it changes, and the newest line when it says something else", async () => {
    const { extra, sent } = fakeExtra('t');
    const p = waitProgress(extra);
    const at = (step: string, message: string): Job => ({ ...job('running'), progress: { step, message } });
    p.tick(at('preflight web', 'checking Docker'), 'preflight: swarm active');
    // Steps that follow each other within the 200 ms are each sent: none is folded into the next.
    p.tick(at('upload web', 'release abc'), undefined);
    p.tick(at('deploy web', 'docker stack deploy'), undefined);
    await vi.advanceTimersByTimeAsync(250);
    p.tick(at('wait web', 'web 0/1 → 1/1 (task starting)'), undefined);
    await vi.advanceTimersByTimeAsync(250);
    p.tick(at('wait web', 'web 1/1'), 'web 1/1');
    await p.stop();
    expect(sent.map((s) => s.message.replace(/^job_\w+ /, '').replace(/\] \d+ s/, '] N s'))).toEqual([
      'running [preflight web: checking Docker] N s: preflight: swarm active',
      'running [upload web: release abc] N s: preflight: swarm active',
      'running [deploy web: docker stack deploy] N s: preflight: swarm active',
      'running [wait web: web 0/1 → 1/1 (task starting)] N s: preflight: swarm active',
      'running [wait web: web 1/1] N s',
    ]);
  });

  it('cuts long lines to 200 characters', async () => {
    const { extra, sent } = fakeExtra('t');
    const p = waitProgress(extra);
    p.tick(job('running'), 'x'.repeat(5000));
    await p.stop();
    expect(sent[0]?.message.length).toBe(200);
    expect(sent[0]?.message.endsWith('…')).toBe(true);
  });
});
