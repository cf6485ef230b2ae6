import fs from 'node:fs';
import path from 'node:path';
import type { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentSession } from '../../../src/remote-bash/agent/session.js';
import { waitFor } from '../../helpers/wait.js';
import { collector, startTarget, type Target } from './target.js';

type AgentRequest = (line: (tag: number) => string, timeoutMs: number) => Promise<{ word: string; text: string }>;

// The agent's operations against a real sshd, run by the server's own /bin/sh (dash here), by bash and by busybox sh.
let target: Target;
let client: Client;

beforeAll(async () => {
  target = await startTarget();
  client = await target.connect();
});

afterAll(async () => {
  await target?.stop();
});

describe.each(['sh', 'bash', '/bin/busybox sh'])('the agent under %s', (shell) => {
  let agent: AgentSession;
  beforeAll(async () => {
    agent = await AgentSession.open(client, { shell });
  });
  afterAll(async () => {
    await agent?.close();
  });

  it('answers a ping', async () => {
    expect(await agent.ping()).toBeGreaterThan(0);
  });

  it('launches a command, streams its output and its exit status, and leaves the job directory as the start script does', async () => {
    const id = target.newId();
    const c = collector();
    const { follow, launch } = agent.start(
      { jobId: id, command: 'echo one; echo two >&2; printf "three"; exit 3', env: { SECRET: "it's \n here" } },
      { out: 0, err: 0 },
      c.onEvent,
    );
    const l = await launch;
    expect(l.launched).toBe(true);
    expect(await follow.done).toEqual({ kind: 'exit', status: 3 });
    expect(c.got).toEqual({ stdout: 'one\nthree', stderr: 'two\n', events: ['pid', 'exit 3'] });
    expect(follow.offsets).toEqual({ out: 9, err: 4 });
    const dir = target.jobDir(id);
    expect(fs.readFileSync(path.join(dir, 'exit'), 'utf8').trim()).toBe('3');
    expect(Number(fs.readFileSync(path.join(dir, 'runner.pid'), 'utf8'))).toBe(l.launched && l.pid);
    expect(fs.readFileSync(path.join(dir, 'cmd'), 'utf8')).toBe('echo one; echo two >&2; printf "three"; exit 3');
    // The env file is the runner's to read and remove, as with the start script.
    expect(fs.existsSync(path.join(dir, 'env'))).toBe(false);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, 'out')).mode & 0o777).toBe(0o600);
  });

  it('streams a large output on both streams byte for byte, and the exit status only after the last byte', async () => {
    const id = target.newId();
    const c = collector();
    // Written faster than one frame a tick could carry: the poller sends several frames a pass.
    const command =
      "head -c 41943040 /dev/zero | tr '\\0' a; head -c 12582913 /dev/zero | tr '\\0' b >&2; printf z; exit 4";
    const { follow } = agent.start({ jobId: id, command }, { out: 0, err: 0 }, c.onEvent);
    expect(await follow.done).toEqual({ kind: 'exit', status: 4 });
    expect(follow.offsets).toEqual({ out: 41943041, err: 12582913 });
    expect([c.got.stdout.length, c.got.stderr.length]).toEqual([41943041, 12582913]);
    expect(/^a+z$/.test(c.got.stdout) && /^b+$/.test(c.got.stderr)).toBe(true);
    expect(c.got.events).toEqual(['pid', 'exit 4']);
  });

  it('the runner and the command hold no descriptor of the agent: no FIFO, no pipe of the channel', async () => {
    const id = target.newId();
    const c = collector();
    const { follow, launch } = agent.start({ jobId: id, command: 'echo up; sleep 30' }, { out: 0, err: 0 }, c.onEvent);
    await launch;
    await waitFor(() => c.got.stdout === 'up\n', 'the command started');
    const dir = target.jobDir(id);
    const runner = Number(fs.readFileSync(path.join(dir, 'runner.pid'), 'utf8'));
    const command = Number(fs.readFileSync(path.join(dir, 'pgid'), 'utf8'));
    for (const pid of [runner, command]) {
      const fds = fs.readdirSync(`/proc/${pid}/fd`).map((fd) => fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      expect(fds.filter((t) => t !== '/dev/null' && !t.startsWith(dir))).toEqual([]);
    }
    expect(await agent.kill(id, 0.1)).toBe('gone');
    expect((await follow.done).kind).toBe('exit');
  });

  it('passes every byte of the command, its env values and its cwd through unchanged', async () => {
    const id = target.newId();
    const cwd = fs.mkdtempSync(path.join(target.home, 'a dir with spaces \\ and - '));
    const value = 'spaces  tabs\t\\n backslash \\ quote \' dquote " dollar $HOME ünïcödé -';
    const c = collector();
    const { follow } = agent.start(
      {
        jobId: id,
        command: 'printf "%s|" "$V" "$(pwd)"; printf -- "-"',
        env: { V: value },
        cwd,
      },
      { out: 0, err: 0 },
      c.onEvent,
    );
    expect(await follow.done).toEqual({ kind: 'exit', status: 0 });
    expect(c.got.stdout).toBe(`${value}|${cwd}|-`);
  });

  it('a second launch of the same job finds it launched and runs nothing', async () => {
    const id = target.newId();
    const first = await agent.launch({ jobId: id, command: 'sleep 0.3' });
    const again = await agent.launch({ jobId: id, command: 'echo twice' });
    expect(first.launched).toBe(true);
    expect(again).toEqual({ launched: false, pid: first.launched ? first.pid : -1 });
    const c = collector();
    expect(await agent.follow(id, { out: 0, err: 0 }, c.onEvent).done).toEqual({ kind: 'exit', status: 0 });
    expect(c.got.stdout).toBe('');
  });

  it('follows from given offsets, and reports a job with no directory as no-dir', async () => {
    const id = target.newId();
    await agent.launch({ jobId: id, command: 'echo 0123456789; echo abc >&2' });
    const c = collector();
    expect(await agent.follow(id, { out: 5, err: 1 }, c.onEvent).done).toEqual({ kind: 'exit', status: 0 });
    expect(c.got).toMatchObject({ stdout: '56789\n', stderr: 'bc\n' });
    const none = collector();
    expect(await agent.follow(target.newId(), { out: 0, err: 0 }, none.onEvent).done).toEqual({
      kind: 'lost',
      reason: 'no-dir',
    });
  });

  it('kills a job, its process group and what it started, then cleans up its directory', async () => {
    const id = target.newId();
    const c = collector();
    const { follow, launch } = agent.start(
      { jobId: id, command: "trap '' TERM; (sleep 300; echo never) & echo started; wait" },
      { out: 0, err: 0 },
      c.onEvent,
    );
    await launch;
    const until = Date.now() + 10_000;
    while (!c.got.stdout.includes('started') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const pgid = Number(fs.readFileSync(path.join(target.jobDir(id), 'pgid'), 'utf8'));
    expect(await agent.kill(id, 0.3)).toBe('gone');
    expect(() => process.kill(-pgid, 0)).toThrow();
    const end = await follow.done;
    expect(end.kind).toBe('exit');
    await agent.cleanup(id, undefined);
    expect(fs.existsSync(target.jobDir(id))).toBe(false);
    expect(await agent.kill(id, 1)).toBe('no-dir');
  });

  it('refuses a malformed cleanup (the reader carries cleanups out) and keeps serving', async () => {
    // Below the session's own checks: the raw request lines a confused or hostile client could send.
    const channel = (agent as unknown as { channel: { request: AgentRequest } }).channel;
    for (const line of ['cleanup %t ../etc -', 'cleanup %t - 5x', 'cleanup %t a/b 10'])
      expect(await channel.request((t) => `${line.replace('%t', String(t))}\n`, 10_000)).toEqual({
        word: 'err',
        text: 'bad-cleanup-request',
      });
    expect(await agent.ping()).toBeGreaterThan(0);
  });

  it('unfollow stops the frames of one job while others keep coming', async () => {
    const a = target.newId();
    const b = target.newId();
    const ca = collector();
    const cb = collector();
    const fa = agent.start(
      { jobId: a, command: 'for i in 1 2 3 4 5 6; do echo $i; sleep 0.1; done' },
      { out: 0, err: 0 },
      ca.onEvent,
    );
    const fb = agent.start(
      { jobId: b, command: 'for i in 1 2 3 4 5 6; do echo $i; sleep 0.1; done' },
      { out: 0, err: 0 },
      cb.onEvent,
    );
    await Promise.all([fa.launch, fb.launch]);
    await fa.follow.unfollow();
    const seen = ca.got.stdout;
    expect(await fa.follow.done).toEqual({ kind: 'unfollowed' });
    expect(await fb.follow.done).toEqual({ kind: 'exit', status: 0 });
    expect(ca.got.stdout).toBe(seen);
    expect(cb.got.stdout).toBe('1\n2\n3\n4\n5\n6\n');
    // The job itself ran on: a new follow from the offset reached picks up the rest.
    const rest = collector();
    expect(await agent.follow(a, fa.follow.offsets, rest.onEvent).done).toEqual({ kind: 'exit', status: 0 });
    expect(seen + rest.got.stdout).toBe('1\n2\n3\n4\n5\n6\n');
  });
});
