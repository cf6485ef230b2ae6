import fs from 'node:fs';
import path from 'node:path';
import type { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawExec } from '../../helpers/ssh-client.js';
import { followCommand } from '../../../src/remote-bash/protocol.js';
import { AgentSession } from '../../../src/remote-bash/agent/session.js';
import { waitFor } from '../../helpers/wait.js';
import { collector, startTarget, type Target } from './target.js';

// A busybox server: PATH holds only busybox applets, so the agent, the runner and the command all run busybox sh
// (ash), with busybox's stat, tail, head, setsid, find and sleep. No bash anywhere.
let target: Target;
let client: Client;
let agent: AgentSession;

beforeAll(async () => {
  target = await startTarget({ busybox: true });
  client = await target.connect();
  agent = await AgentSession.open(client);
});

afterAll(async () => {
  await agent?.close();
  await target?.stop();
});

describe('the agent on a busybox server', () => {
  it('runs as busybox sh, and so does the command', async () => {
    const busybox = fs.realpathSync('/bin/busybox');
    expect(fs.readlinkSync(`/proc/${agent.remotePid}/exe`)).toBe(busybox);
    const id = target.newId();
    const c = collector();
    const { follow } = agent.start(
      {
        jobId: id,
        command: 'command -v bash || echo no bash; readlink /proc/$$/exe; echo "$V" >&2; exit 4',
        env: { V: "a 'b' \\c" },
      },
      { out: 0, err: 0 },
      c.onEvent,
    );
    expect(await follow.done).toEqual({ kind: 'exit', status: 4 });
    expect(c.got).toEqual({ stdout: `no bash\n${busybox}\n`, stderr: "a 'b' \\c\n", events: ['pid', 'exit 4'] });
  });

  it('follows 12 jobs at once, each byte once', async () => {
    const runs = Array.from({ length: 12 }, (_, n) => {
      const c = collector();
      const cmd = `i=0; while [ $i -lt 100 ]; do echo "${n}:$i"; i=$((i+1)); [ $((i % 25)) = 0 ] && sleep 0.05; done`;
      return { n, c, ...agent.start({ jobId: target.newId(), command: cmd }, { out: 0, err: 0 }, c.onEvent) };
    });
    for (const r of runs) {
      expect(await r.follow.done).toEqual({ kind: 'exit', status: 0 });
      expect(r.c.got.stdout).toBe(Array.from({ length: 100 }, (_, i) => `${r.n}:${i}\n`).join(''));
    }
  });

  it('kills a process group, cleans up and sweeps with busybox tools', async () => {
    const id = target.newId();
    const c = collector();
    const { follow } = agent.start({ jobId: id, command: 'sleep 300 & echo up; wait' }, { out: 0, err: 0 }, c.onEvent);
    await waitFor(() => c.got.stdout === 'up\n', 'the command started');
    expect(await agent.kill(id, 0.2)).toBe('gone');
    expect((await follow.done).kind).toBe('exit');
    const old = target.newId();
    await agent.launch({ jobId: old, command: 'exit 1' });
    await waitFor(() => fs.existsSync(path.join(target.jobDir(old), 'exit')), 'it ended');
    const hourAgo = new Date(Date.now() - 3600_000);
    fs.utimesSync(path.join(target.jobDir(old), 'exit'), hourAgo, hourAgo);
    await agent.cleanup(id, 30);
    expect(fs.existsSync(target.jobDir(id))).toBe(false);
    expect(fs.existsSync(target.jobDir(old))).toBe(false);
  });

  it('a job outlives its agent and is taken over by a new agent and by the follow script', async () => {
    const a = await AgentSession.open(client);
    const id = target.newId();
    const first = collector();
    const cmd = 'i=0; while [ $i -lt 30 ]; do echo "n $i"; i=$((i+1)); sleep 0.05; done';
    const { follow } = a.start({ jobId: id, command: cmd }, { out: 0, err: 0 }, first.onEvent);
    await waitFor(() => first.got.stdout.includes('n 3\n'), 'four lines');
    process.kill(-a.remotePid, 'SIGKILL');
    expect((await follow.done).kind).toBe('gone');
    const second = collector();
    expect(await agent.follow(id, follow.offsets, second.onEvent).done).toEqual({ kind: 'exit', status: 0 });
    const all = Array.from({ length: 30 }, (_, i) => `n ${i}\n`).join('');
    expect(first.got.stdout + second.got.stdout).toBe(all);
    const viaScript = await rawExec(client, followCommand(id, 0, 0));
    expect(viaScript.stdout).toBe(`O ${all.length}\n${all}X 0\n`);
  });
});
