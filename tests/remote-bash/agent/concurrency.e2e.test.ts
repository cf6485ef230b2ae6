import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentSession } from '../../../src/remote-bash/agent/session.js';
import { collector, startTarget, type Target } from './target.js';

// Many jobs followed over one channel at once: every byte of each once and in order, nothing of one in another.
let target: Target;

beforeAll(async () => {
  target = await startTarget();
});

afterAll(async () => {
  await target?.stop();
});

/** Lines written in bursts with pauses, stdout and stderr both, each naming its job. */
function chatty(n: number): { command: string; stdout: string; stderr: string } {
  const lines = 300;
  const command =
    `i=0; while [ $i -lt ${lines} ]; do echo "job ${n} out $i"; ` +
    `[ $((i % 7)) = 0 ] && echo "job ${n} err $i" >&2; ` +
    `[ $((i % 60)) = 0 ] && sleep 0.0${(n % 9) + 1}; i=$((i+1)); done`;
  let stdout = '';
  let stderr = '';
  for (let i = 0; i < lines; i++) {
    stdout += `job ${n} out ${i}\n`;
    if (i % 7 === 0) stderr += `job ${n} err ${i}\n`;
  }
  return { command, stdout, stderr };
}

describe('one agent, many jobs', () => {
  it('streams 40 concurrent jobs, two of them megabytes long, every byte once and in order', async () => {
    const agent = await AgentSession.open(await target.connect());
    const seq = (n: number) => Array.from({ length: n }, (_, i) => `${i + 1}\n`).join('');
    const specs = [
      ...Array.from({ length: 38 }, (_, n) => chatty(n)),
      { command: 'seq 1 400000', stdout: seq(400000), stderr: '' },
      { command: 'seq 1 300000 >&2; echo done', stdout: 'done\n', stderr: seq(300000) },
    ];
    const runs = specs.map((s) => {
      const c = collector();
      const id = target.newId();
      const { follow, launch } = agent.start({ jobId: id, command: s.command }, { out: 0, err: 0 }, c.onEvent);
      return { s, c, follow, launch, id };
    });
    for (const r of runs) {
      expect((await r.launch).launched).toBe(true);
      expect(await r.follow.done).toEqual({ kind: 'exit', status: 0 });
    }
    for (const r of runs) {
      // toBe on megabytes prints megabytes on failure: compare lengths first.
      expect(r.c.got.stdout.length).toBe(r.s.stdout.length);
      expect(r.c.got.stderr.length).toBe(r.s.stderr.length);
      expect(r.c.got.stdout === r.s.stdout).toBe(true);
      expect(r.c.got.stderr === r.s.stderr).toBe(true);
      expect(r.c.got.events).toEqual(['pid', 'exit 0']);
      expect(r.follow.offsets).toEqual({
        out: Buffer.byteLength(r.s.stdout),
        err: Buffer.byteLength(r.s.stderr),
      });
    }
    expect(agent.alive).toBe(true);
    await agent.close();
  });

  it('binary output (NUL bytes, no final newline, invalid UTF-8) arrives byte for byte', async () => {
    const agent = await AgentSession.open(await target.connect());
    const id = target.newId();
    const chunks: Buffer[] = [];
    const { follow } = agent.start(
      { jobId: id, command: "printf 'a\\000b\\377\\376\\nO 1 2 3\\nX'; printf '\\000' >&2" },
      { out: 0, err: 0 },
      (e) => {
        if (e.type === 'data' && e.stream === 'stdout') chunks.push(Buffer.from(e.chunk));
      },
    );
    expect(await follow.done).toEqual({ kind: 'exit', status: 0 });
    expect(Buffer.concat(chunks)).toEqual(Buffer.from([0x61, 0, 0x62, 0xff, 0xfe, 10, ...Buffer.from('O 1 2 3\nX')]));
    expect(follow.offsets).toEqual({ out: 15, err: 1 });
    await agent.close();
  });
});
