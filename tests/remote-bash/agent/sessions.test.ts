// AgentSessions.ready(): a connection's first command does not wait for the agent, later ones get it.
import { EventEmitter } from 'node:events';
import type { Client } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { AgentSessions, AgentUnavailableError, type AgentSession } from '../../../src/remote-bash/agent/index.js';

/** A stand-in for a started agent: alive until end() is called. */
function fakeAgent(): AgentSession & { end(): void } {
  let finish: (e: { reason: 'exited'; message: string }) => void = () => undefined;
  const ended = new Promise<{ reason: 'exited'; message: string }>((r) => (finish = r));
  const agent = {
    alive: true,
    remotePid: 42,
    ended,
    close: () => Promise.resolve(),
    end() {
      agent.alive = false;
      finish({ reason: 'exited', message: 'gone' });
    },
  };
  return agent as unknown as AgentSession & { end(): void };
}

describe('AgentSessions.ready', () => {
  it('answers undefined while the first agent starts, then that agent; a start under way is waited for', async () => {
    const started: ReturnType<typeof fakeAgent>[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const agents = new AgentSessions({
      open: async () => {
        await gate;
        const a = fakeAgent();
        started.push(a);
        return a;
      },
    });
    const client = new EventEmitter() as unknown as Client;
    expect(await agents.ready('s', client)).toBeUndefined();
    // The start is under way: the next command waits for it rather than paying a channel of its own.
    const second = agents.ready('s', client);
    release();
    expect(await second).toBe(started[0]);
    expect(await agents.ready('s', client)).toBe(started[0]);
    expect(started).toHaveLength(1);
    // An agent that ended is replaced by the next command, which waits for the new one.
    started[0]?.end();
    expect(await agents.ready('s', client)).toBe(started[1]);
    await agents.closeAll();
  });

  it('answers undefined for good where no agent can run, and says so once', async () => {
    const events: string[] = [];
    const agents = new AgentSessions({
      onEvent: (e) => events.push(e.type),
      open: () => Promise.reject(new AgentUnavailableError('exited', 'no sh')),
    });
    const client = new EventEmitter() as unknown as Client;
    expect(await agents.ready('s', client)).toBeUndefined();
    expect(await agents.ready('s', client)).toBeUndefined();
    expect(await agents.ready('s', client)).toBeUndefined();
    expect(events).toEqual(['unavailable']);
  });
});
