import type { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameParser } from '../../../src/remote-bash/frames.js';
import { rawExec } from '../../helpers/ssh-client.js';
import { startCommand, startPayload } from '../../../src/remote-bash/protocol.js';
import { AgentSession } from '../../../src/remote-bash/agent/session.js';
import { collector, startTarget, type Target } from './target.js';

// A server whose login shell takes 0.2 s to start: the agent pays it once per connection, not once per command.
let target: Target;

beforeAll(async () => {
  target = await startTarget({ slowShell: true });
});

afterAll(async () => {
  await target?.stop();
});

/** Runs a command through the agent and returns its stdout. */
async function run(agent: AgentSession, id: string, command: string): Promise<string> {
  const c = collector();
  const { follow } = agent.start({ jobId: id, command }, { out: 0, err: 0 }, c.onEvent);
  const end = await follow.done;
  if (end.kind !== 'exit' || end.status !== 0) throw new Error(`${command}: ${JSON.stringify(end)} ${c.got.stderr}`);
  return c.got.stdout;
}

/** Runs a command through today's start script (one exec channel) and returns its stdout. */
function runStartScript(client: Client, id: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    client.exec(startCommand(id), (err, ch) => {
      if (err) return reject(err);
      let out = '';
      const p = new FrameParser((e) => {
        if (e.type === 'data' && e.stream === 'stdout') out += e.chunk.toString('utf8');
      });
      ch.on('data', (d: Buffer) => p.push(d));
      ch.stderr.on('data', () => undefined);
      ch.on('close', () => resolve(out));
      ch.end(startPayload({ jobId: id, command }));
    });
  });
}

/** `env` output as sorted lines, without what names the job or the moment (its directory, `_`). */
function envLines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l && !/^(PWD|OLDPWD|_)=/.test(l))
    .sort();
}

describe('a slow login shell', () => {
  it('is started once for the agent and never for the 20 commands run through it', async () => {
    const client = await target.connect();
    const before = target.shells();
    // The counter works: a raw exec starts one login shell.
    await rawExec(client, 'true');
    expect(target.shells()).toBe(before + 1);
    const agent = await AgentSession.open(client);
    expect(target.shells()).toBe(before + 2);
    for (let i = 0; i < 10; i++) expect(await run(agent, target.newId(), `echo ${i}`)).toBe(`${i}\n`);
    const rest = await Promise.all(Array.from({ length: 10 }, (_, i) => run(agent, target.newId(), `echo ${i + 10}`)));
    expect(rest).toEqual(Array.from({ length: 10 }, (_, i) => `${i + 10}\n`));
    await agent.kill(target.newId(), 0.1);
    await agent.cleanup(undefined, 60);
    expect(await agent.ping()).toBeGreaterThan(0);
    expect(target.shells()).toBe(before + 2);
    await agent.close();
  });

  it('gives commands the environment a command gets from the start script (the login shell start-up included)', async () => {
    const client = await target.connect();
    const agent = await AgentSession.open(client);
    const viaAgent = await run(agent, target.newId(), 'env');
    const viaStart = await runStartScript(client, target.newId(), 'env');
    expect(envLines(viaAgent)).toEqual(envLines(viaStart));
    // What the start-up file exported, as `ssh host cmd` sees it.
    const raw = (await rawExec(client, 'echo "$RC_MARK|$PATH"')).stdout.trim().split('|');
    expect(raw[0]).toBe('first');
    expect(viaAgent).toContain('RC_MARK=first\n');
    expect(viaAgent).toMatch(new RegExp(`^PATH=${raw[1]?.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
    await agent.close();
  });

  it('keeps the environment of its start until a new connection starts a new agent', async () => {
    const client = await target.connect();
    const agent = await AgentSession.open(client);
    target.setRcMark('second');
    try {
      expect(await run(agent, target.newId(), 'echo $RC_MARK')).toBe('first\n');
      const fresh = await AgentSession.open(await target.connect());
      expect(await run(fresh, target.newId(), 'echo $RC_MARK')).toBe('second\n');
      await fresh.close();
    } finally {
      target.setRcMark('first');
      await agent.close();
    }
  });
});
