import fs from 'node:fs';
import path from 'node:path';
import type { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawExec } from '../../helpers/ssh-client.js';
import { FrameParser, type FrameEvent } from '../../../src/remote-bash/frames.js';
import {
  cleanupCommand,
  followCommand,
  killCommand,
  startCommand,
  startPayload,
} from '../../../src/remote-bash/protocol.js';
import { AgentSession } from '../../../src/remote-bash/agent/session.js';
import { waitFor } from '../../helpers/wait.js';
import { collector, startTarget, type Target } from './target.js';

// Jobs outlive the agent that launched them, and either path (agent or per-command scripts) can take over from the other.
let target: Target;
let client: Client;

beforeAll(async () => {
  target = await startTarget();
  client = await target.connect();
});

afterAll(async () => {
  await target?.stop();
});

const COUNT = 'for i in $(seq 1 40); do echo "line $i"; echo "warn $i" >&2; sleep 0.05; done';
const lines = (word: string) => Array.from({ length: 40 }, (_, i) => `${word} ${i + 1}\n`).join('');

/** Runs one of today's scripts on an exec channel and collects its frames (the start script gets its payload). */
function script(command: string, payload?: string): Promise<{ stdout: string; stderr: string; events: FrameEvent[] }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, ch) => {
      if (err) return reject(err);
      const r = { stdout: '', stderr: '', events: [] as FrameEvent[] };
      const p = new FrameParser((e) => {
        if (e.type === 'data') r[e.stream] += e.chunk.toString('utf8');
        else r.events.push(e);
      });
      ch.on('data', (d: Buffer) => p.push(d));
      ch.stderr.on('data', () => undefined);
      ch.on('close', () => resolve(r));
      ch.end(payload);
    });
  });
}

function runnerAlive(id: string): boolean {
  const pid = Number(fs.readFileSync(path.join(target.jobDir(id), 'runner.pid'), 'utf8'));
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('an agent killed mid-job', () => {
  it.each([
    ['its process', false],
    ['its whole process group', true],
  ])(
    '(%s): the job runs on, and a new agent follows it from the offsets reached, every line once',
    async (_, group) => {
      const a = await AgentSession.open(client);
      const id = target.newId();
      const first = collector();
      const { follow } = a.start({ jobId: id, command: COUNT }, { out: 0, err: 0 }, first.onEvent);
      await waitFor(() => first.got.stdout.includes('line 5\n'), 'five lines through the first agent');
      process.kill(group ? -a.remotePid : a.remotePid, 'SIGKILL');
      const killedAt = Date.now();
      const end = await follow.done;
      expect(end.kind).toBe('gone');
      // Its channel closes at once: no helper left behind (a job's watcher) holds the channel's stdout.
      expect(Date.now() - killedAt).toBeLessThan(1000);
      expect((await a.ended).reason).toBe('exited');
      expect(runnerAlive(id)).toBe(true);

      const b = await AgentSession.open(client);
      const second = collector();
      expect(await b.follow(id, follow.offsets, second.onEvent).done).toEqual({ kind: 'exit', status: 0 });
      expect(first.got.stdout + second.got.stdout).toBe(lines('line'));
      expect(first.got.stderr + second.got.stderr).toBe(lines('warn'));
      await b.close();
    },
  );

  it('a dropped connection: the job runs on and is followed again over a new connection', async () => {
    const own = await target.connect();
    const a = await AgentSession.open(own);
    const id = target.newId();
    const first = collector();
    const { follow } = a.start({ jobId: id, command: COUNT }, { out: 0, err: 0 }, first.onEvent);
    await waitFor(() => first.got.stdout.includes('line 3\n'), 'three lines');
    target.sshd.dropConnections();
    expect((await follow.done).kind).toBe('gone');
    client = await target.connect();
    const b = await AgentSession.open(client);
    const second = collector();
    expect(await b.follow(id, follow.offsets, second.onEvent).done).toEqual({ kind: 'exit', status: 0 });
    expect(first.got.stdout + second.got.stdout).toBe(lines('line'));
    await b.close();
  });
});

describe('the agent and the per-command scripts on the same jobs', () => {
  let agent: AgentSession;
  beforeAll(async () => {
    agent = await AgentSession.open(client);
  });
  afterAll(async () => {
    await agent?.close();
  });

  it('a job launched by the agent is followed by the follow script, from the start and from an offset', async () => {
    const id = target.newId();
    const l = await agent.launch({ jobId: id, command: COUNT });
    expect(l.launched).toBe(true);
    const [whole, tail] = await Promise.all([
      script(followCommand(id, 0, 0)),
      script(followCommand(id, 'line 1\nline 2\n'.length, 'warn 1\n'.length)),
    ]);
    expect(whole.stdout).toBe(lines('line'));
    expect(whole.stderr).toBe(lines('warn'));
    expect(whole.events).toEqual([
      { type: 'pid', pid: l.launched && l.pid },
      { type: 'exit', status: 0 },
    ]);
    expect(tail.stdout).toBe(lines('line').slice('line 1\nline 2\n'.length));
    expect(tail.stderr).toBe(lines('warn').slice('warn 1\n'.length));
  });

  it('a job launched by the start script is followed by the agent; the agent will not launch it again', async () => {
    const id = target.newId();
    const started = script(startCommand(id), startPayload({ jobId: id, command: COUNT }));
    await waitFor(() => fs.existsSync(path.join(target.jobDir(id), 'runner.pid')), 'the start script launched');
    expect((await agent.launch({ jobId: id, command: 'echo again' })).launched).toBe(false);
    const c = collector();
    expect(await agent.follow(id, { out: 0, err: 0 }, c.onEvent).done).toEqual({ kind: 'exit', status: 0 });
    expect(c.got).toEqual({ stdout: lines('line'), stderr: lines('warn'), events: ['pid', 'exit 0'] });
    expect((await started).stdout).toBe(lines('line'));
  });

  it('a start script and an agent launch sent together run the command once', async () => {
    const id = target.newId();
    const runs = path.join(target.home, `${id}.runs`);
    const cmd = `echo run >> ${runs}; sleep 0.5; echo done`;
    const c = collector();
    const viaAgent = agent.start({ jobId: id, command: cmd }, { out: 0, err: 0 }, c.onEvent);
    const viaScript = script(startCommand(id), startPayload({ jobId: id, command: cmd }));
    expect(await viaAgent.follow.done).toEqual({ kind: 'exit', status: 0 });
    expect((await viaScript).stdout).toBe('done\n');
    expect(c.got.stdout).toBe('done\n');
    expect(fs.readFileSync(runs, 'utf8')).toBe('run\n');
  });

  it('the kill script stops a job the agent launched, and the agent stops one the start script launched', async () => {
    const a = target.newId();
    await agent.launch({ jobId: a, command: 'sleep 300' });
    await waitFor(() => fs.existsSync(path.join(target.jobDir(a), 'pgid')), 'pgid written');
    expect((await rawExec(client, killCommand(a, 1))).stdout.trim()).toBe('gone');

    const b = target.newId();
    const started = script(startCommand(b), startPayload({ jobId: b, command: 'sleep 300' }));
    await waitFor(() => fs.existsSync(path.join(target.jobDir(b), 'pgid')), 'pgid written');
    expect(await agent.kill(b, 1)).toBe('gone');
    expect((await started).events.at(-1)?.type).toBe('exit');
  });

  it('the cleanup script and the agent remove each other’s job directories, and sweep old failed ones alike', async () => {
    const a = target.newId();
    const b = target.newId();
    await agent.launch({ jobId: a, command: 'true' });
    await script(startCommand(b), startPayload({ jobId: b, command: 'true' }));
    await waitFor(() => fs.existsSync(path.join(target.jobDir(a), 'exit')), 'the agent job ended');
    await rawExec(client, cleanupCommand(a, undefined));
    await agent.cleanup(b, undefined);
    expect(fs.existsSync(target.jobDir(a))).toBe(false);
    expect(fs.existsSync(target.jobDir(b))).toBe(false);

    const old = target.newId();
    const recent = target.newId();
    await agent.launch({ jobId: old, command: 'exit 1' });
    await agent.launch({ jobId: recent, command: 'exit 1' });
    await waitFor(() => fs.existsSync(path.join(target.jobDir(recent), 'exit')), 'both ended');
    await waitFor(() => fs.existsSync(path.join(target.jobDir(old), 'exit')), 'both ended');
    const hourAgo = new Date(Date.now() - 3600_000);
    fs.utimesSync(path.join(target.jobDir(old), 'exit'), hourAgo, hourAgo);
    await agent.cleanup(undefined, 30);
    expect(fs.existsSync(target.jobDir(old))).toBe(false);
    expect(fs.existsSync(target.jobDir(recent))).toBe(true);
  });
});
