import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawExec } from '../../helpers/ssh-client.js';
import { AgentUnavailableError } from '../../../src/remote-bash/agent/errors.js';
import { AgentSession } from '../../../src/remote-bash/agent/session.js';
import { AgentSessions, type AgentEvent } from '../../../src/remote-bash/agent/sessions.js';
import { startTarget, type Target } from './target.js';

// Where no agent can run, the caller is told so (once per server) and the per-command exec path keeps working.
const targets: Target[] = [];
afterAll(async () => {
  await Promise.all(targets.map((t) => t.stop()));
});

async function target(extraConfig?: string): Promise<Target> {
  const t = await startTarget(extraConfig === undefined ? {} : { extraConfig });
  targets.push(t);
  return t;
}

async function unavailable(p: Promise<unknown>): Promise<AgentUnavailableError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AgentUnavailableError);
  return err as AgentUnavailableError;
}

describe('an agent that cannot start', () => {
  it('a ForceCommand that prints something else: unexpected_output, naming what answered', async () => {
    const t = await target('ForceCommand echo "this account runs a menu"');
    const err = await unavailable(AgentSession.open(await t.connect()));
    expect(err.code).toBe('agent_unavailable');
    expect(err.reason).toBe('unexpected_output');
    expect(err.message).toContain('this account runs a menu');
    expect(err.hint).toMatch(/own SSH channel/);
  });

  it('a restricted login shell (rbash refuses exec): exited, with what the shell said', async () => {
    const t = await target('ForceCommand /bin/rbash -c "$SSH_ORIGINAL_COMMAND"');
    const err = await unavailable(AgentSession.open(await t.connect()));
    expect(err.reason).toBe('exited');
    expect(err.message).toMatch(/restricted/);
  });

  it('no such shell: exited with status 127', async () => {
    const t = await target();
    const err = await unavailable(AgentSession.open(await t.connect(), { shell: '/nonexistent/sh' }));
    expect(err.reason).toBe('exited');
    expect(err.message).toContain('exit status 127');
  });

  it('a ForceCommand that never answers: no_answer after the start timeout, and the connection stays usable', async () => {
    const t = await target('ForceCommand cat >/dev/null');
    const client = await t.connect();
    const err = await unavailable(AgentSession.open(client, { startTimeoutMs: 1500 }));
    expect(err.reason).toBe('no_answer');
    // The exec path still works on this connection (here every command is the forced cat, which ends at EOF).
    const code = await new Promise<number | undefined>((resolve, reject) =>
      client.exec('true', (e, ch) => {
        if (e) return reject(e);
        ch.on('exit', (c: number) => resolve(c)).on('close', () => resolve(undefined));
        ch.resume();
        ch.end();
      }),
    );
    expect(code).toBe(0);
  });
});

describe('AgentSessions', () => {
  let ok: Target;
  let forced: Target;
  beforeAll(async () => {
    ok = await target();
    forced = await target('ForceCommand echo forced');
  });

  it('says once per server that it falls back, and answers undefined on every connection there', async () => {
    const events: AgentEvent[] = [];
    const agents = new AgentSessions({ onEvent: (e) => events.push(e) });
    const a = await forced.connect();
    const b = await forced.connect();
    expect(await agents.get('forced', a)).toBeUndefined();
    expect(await agents.get('forced', a)).toBeUndefined();
    expect(await agents.get('forced', b)).toBeUndefined();
    expect(events).toEqual([
      {
        type: 'unavailable',
        server: 'forced',
        reason: 'unexpected_output',
        message: expect.stringContaining('forced'),
      },
    ]);
    // The exec path is what the caller uses instead, on the same connection.
    expect((await rawExec(a, 'anything')).stdout).toBe('forced\n');
  });

  it('hands out one agent per connection, replaces one that died, and gives up after repeated deaths', async () => {
    const events: AgentEvent[] = [];
    const agents = new AgentSessions({ onEvent: (e) => events.push(e), maxRestarts: 2 });
    const client = await ok.connect();
    const [first, same] = await Promise.all([agents.get('ok', client), agents.get('ok', client)]);
    expect(first).toBeDefined();
    expect(same).toBe(first);
    expect(await first?.ping()).toBeGreaterThan(0);

    process.kill(first?.remotePid ?? 0, 'SIGKILL');
    await first?.ended;
    const second = await agents.get('ok', client);
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect(await second?.ping()).toBeGreaterThan(0);

    process.kill(second?.remotePid ?? 0, 'SIGKILL');
    await second?.ended;
    expect(await agents.get('ok', client)).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(['started', 'ended', 'started', 'ended', 'unavailable']);
    // Another connection to the same server gets its own agent; the fallback was said once already.
    const other = await agents.get('ok', await ok.connect());
    expect(other?.alive).toBe(true);
    await agents.closeAll();
    expect(other?.alive).toBe(false);
  });
});
