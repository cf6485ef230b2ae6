// The resident agent through the deckhand binary over MCP, on a server whose login shell is slow (its start-up file
// sleeps 0.2 s and counts itself): one login shell per connection, not per command; fresh_shell pays a new one and
// sees what the start-up file exports now.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../../helpers/home.js';
import { startStdio, structured, textOf, type StdioSession } from '../../helpers/mcp.js';
import { waitFor } from '../../helpers/wait.js';
import { startTarget, type Target } from './target.js';

interface Result {
  status: string;
  exit_code: number | null;
  stdout: string;
  stderr: string;
}

describe('remote-bash through the resident agent, over MCP', () => {
  let target: Target;
  let home: { dir: string; cleanup(): void };
  let mcp: StdioSession;
  const run = async (args: Record<string, unknown>) => {
    const r = await mcp.call('remote-bash', { server: 'slow', mode: 'sync', ...args });
    expect(r.isError, textOf(r)).toBeFalsy();
    return structured<Result>(r);
  };

  beforeAll(async () => {
    target = await startTarget({ slowShell: true });
    home = tempHome();
    mcp = await startStdio({ DECKHAND_HOME: home.dir });
    const added = await mcp.call('add-server', {
      name: 'slow',
      host: target.sshd.host,
      port: target.sshd.port,
      user: target.sshd.user,
      private_key_path: target.sshd.clientKey,
    });
    expect(added.isError, textOf(added)).toBeFalsy();
  });
  afterAll(async () => {
    await mcp?.close();
    await target?.stop();
    home?.cleanup();
  });

  it('pays the login shell once per connection, and fresh_shell pays it again with the new environment', async () => {
    const before = target.shells();
    const first = await run({ command: 'echo "$RC_MARK"; echo err >&2; exit 3' });
    expect(first).toMatchObject({ status: 'failed', exit_code: 3, stdout: 'first', stderr: 'err' });
    // The connection's first command takes a channel (and a login shell) of its own while the agent starts beside it:
    // the agent's login shell is the last one this connection pays.
    await waitFor(() => target.shells() === before + 2, 'the agent to start');

    for (let i = 0; i < 3; i++) {
      const r = await run({ command: `echo "$RC_MARK" ${i}` });
      expect(r).toMatchObject({ status: 'completed', stdout: `first ${i}` });
    }
    // Three more commands, their cleanups included: no login shell.
    expect(target.shells()).toBe(before + 2);

    // The start-up file changes: the agent's environment is the one it started with...
    target.setRcMark('second');
    expect((await run({ command: 'echo "$RC_MARK"' })).stdout).toBe('first');
    expect(target.shells()).toBe(before + 2);
    // ...and fresh_shell runs the command in a new login shell, which reads it again.
    const fresh = await run({ command: 'echo "$RC_MARK"', fresh_shell: true });
    expect(fresh).toMatchObject({ status: 'completed', stdout: 'second' });
    expect(target.shells()).toBe(before + 3);
  });

  it('runs a batch through the agent of each connection without a login shell per command', async () => {
    const before = target.shells();
    const r = await mcp.call('remote-bash', { servers: ['slow'], command: 'echo batch', mode: 'sync' });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(structured<{ status: string }>(r).status).toBe('completed');
    expect(target.shells()).toBe(before);
  });

  it('cancels a command started through the agent and leaves no process behind', async () => {
    // A name no other process on this machine has: the test's sshd runs on loopback, so pgrep sees its processes.
    const marker = `dk-agent-cancel-${process.pid}`;
    const started = structured<{ job_id: string }>(
      await mcp.call('remote-bash', {
        server: 'slow',
        command: `echo go; exec -a ${marker} sleep 300`,
        mode: 'background',
      }),
    );
    const status = async () =>
      structured<{ job: { status: string }; logs: { text: string }[] }>(
        await mcp.call('get-job-status', { job_id: started.job_id, wait_s: 2 }),
      );
    for (let s = await status(); !s.logs.some((l) => l.text === 'go'); s = await status())
      expect(s.job.status).toBe('running');
    await waitFor(() => running(marker) > 0, 'the command to run');
    const cancelled = await mcp.call('cancel-job', { job_id: started.job_id });
    expect(cancelled.isError, textOf(cancelled)).toBeFalsy();
    let final = await status();
    while (final.job.status === 'running') final = await status();
    expect(final.job.status).toBe('cancelled');
    expect(running(marker)).toBe(0);
  });
});

function running(marker: string): number {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}
