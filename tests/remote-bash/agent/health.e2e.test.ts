import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentGoneError } from '../../../src/remote-bash/agent/errors.js';
import { AgentSession } from '../../../src/remote-bash/agent/session.js';
import { waitFor } from '../../helpers/wait.js';
import { collector, startTarget, type Target } from './target.js';

let target: Target;

beforeAll(async () => {
  target = await startTarget();
});

afterAll(async () => {
  await target?.stop();
});

describe('the agent', () => {
  it('that stops answering is given up on: the request fails, follows end gone, the job runs on', async () => {
    const agent = await AgentSession.open(await target.connect());
    const id = target.newId();
    const c = collector();
    const { follow } = agent.start(
      { jobId: id, command: 'for i in 1 2 3 4 5 6 7 8 9 10; do echo $i; sleep 0.1; done' },
      { out: 0, err: 0 },
      c.onEvent,
    );
    await waitFor(() => c.got.stdout.includes('2\n'), 'two lines');
    process.kill(agent.remotePid, 'SIGSTOP');
    try {
      const err = await agent.ping(400).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AgentGoneError);
      expect((err as AgentGoneError).reason).toBe('timeout');
      expect((await agent.ended).reason).toBe('timeout');
      const end = await follow.done;
      expect(end.kind).toBe('gone');
      // Asking a gone agent fails at once, as a result, never as an unhandled rejection.
      const late = agent.start({ jobId: target.newId(), command: 'true' }, { out: 0, err: 0 }, () => undefined);
      expect((await late.follow.done).kind).toBe('gone');
      await expect(late.launch).rejects.toBeInstanceOf(AgentGoneError);
    } finally {
      process.kill(agent.remotePid, 'SIGKILL');
    }
    const again = await AgentSession.open(await target.connect());
    const rest = collector();
    expect(await again.follow(id, follow.offsets, rest.onEvent).done).toEqual({ kind: 'exit', status: 0 });
    expect(c.got.stdout + rest.got.stdout).toBe('1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n');
    await again.close();
  });

  it('never puts env values on a command line, and leaves them in no file once the command has them', async () => {
    // strace records every program the agent and its helpers start, with its arguments: a value passed through an
    // external program (printf not a builtin, a helper taking it as an argument) would be in there.
    if (!fs.existsSync('/usr/bin/strace'))
      throw new Error('strace not found: apt-get install -y strace (.ci/run does)');
    const log = path.join(target.home, 'execs.log');
    const agent = await AgentSession.open(await target.connect(), {
      shell: `strace -f -qq -s 65536 -e trace=execve -o ${log} sh`,
    });
    const secret = `s3cr3t-${Date.now()}-value`;
    const ids = Array.from({ length: 5 }, () => target.newId());
    const runs = ids.map((id) => {
      const c = collector();
      const { follow } = agent.start(
        { jobId: id, command: '[ "$TOKEN" = never ] || echo ok', env: { TOKEN: `a 'quoted' ${secret}` } },
        { out: 0, err: 0 },
        c.onEvent,
      );
      return { c, follow };
    });
    for (const r of runs) {
      expect(await r.follow.done).toEqual({ kind: 'exit', status: 0 });
      expect(r.c.got.stdout).toBe('ok\n');
    }
    await agent.close();
    const execs = fs.readFileSync(log, 'utf8');
    // The trace saw the launches (mkdir, the runner, the command) ...
    expect(execs.match(/execve\("[^"]*\/mkdir"/g)?.length).toBeGreaterThanOrEqual(ids.length);
    expect(execs).toContain('/run"');
    // ... and no value among their arguments.
    expect(execs).not.toContain(secret);
    for (const id of ids) {
      for (const f of fs.readdirSync(target.jobDir(id)))
        expect(fs.readFileSync(path.join(target.jobDir(id), f), 'latin1')).not.toContain(secret);
    }
  });
});
