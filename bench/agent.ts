// The resident agent against a raw ssh2 exec on the same open connection, on a server whose login shell takes 0.2 s to
// start and on one whose login shell is fast. Run alone: npm run bench:agent (BENCH_AGENT_CALLS, default 100).
import { pathToFileURL } from 'node:url';
import type { Client } from 'ssh2';
import { AgentSession } from '../src/remote-bash/agent/session.js';
import { startCommand, startPayload } from '../src/remote-bash/protocol.js';
import { startTarget, type Target } from '../tests/remote-bash/agent/target.js';
import { fmtMs, percentile, printTable, type Row } from './stats.js';

/** Times each way in turn, call after call, so that a machine busy with other work weighs on all of them alike. */
async function interleaved(n: number, ways: Record<string, () => Promise<void>>): Promise<Record<string, number[]>> {
  const times: Record<string, number[]> = {};
  for (const name of Object.keys(ways)) times[name] = [];
  for (let i = -3; i < n; i++) {
    for (const [name, once] of Object.entries(ways)) {
      const t = performance.now();
      await once();
      if (i >= 0) times[name]?.push(performance.now() - t);
    }
  }
  return times;
}

function rawExec(client: Client, command: string): Promise<void> {
  return new Promise((resolve, reject) =>
    client.exec(command, (err, s) => {
      if (err) return reject(err);
      s.on('data', () => undefined).on('close', () => resolve());
      s.stderr.on('data', () => undefined);
    }),
  );
}

/** `true` through the agent: launch and follow sent together, until its exit status is in. */
async function viaAgent(agent: AgentSession, target: Target): Promise<void> {
  const { follow } = agent.start({ jobId: target.newId(), command: 'true' }, { out: 0, err: 0 }, () => undefined);
  const end = await follow.done;
  if (end.kind !== 'exit' || end.status !== 0) throw new Error(`agent: ${JSON.stringify(end)}`);
}

/** `true` through today's start script: one exec channel, the script on stdin. */
function viaStartScript(client: Client, target: Target): Promise<void> {
  const id = target.newId();
  return new Promise((resolve, reject) =>
    client.exec(startCommand(id), (err, s) => {
      if (err) return reject(err);
      s.on('data', () => undefined).on('close', () => resolve());
      s.stderr.on('data', () => undefined);
      s.end(startPayload({ jobId: id, command: 'true' }));
    }),
  );
}

export async function benchAgent(rows: Row[]): Promise<void> {
  const n = Number(process.env.BENCH_AGENT_CALLS ?? 100);
  for (const slow of [true, false]) {
    const target = await startTarget({ slowShell: slow });
    try {
      const where = slow ? 'slow login shell (0.2 s)' : 'fast login shell';
      // Two connections, so the exec channels' Nagle setting cannot touch the agent's.
      const client = await target.connect();
      const nagle = await target.connect();
      nagle.setNoDelay(false);
      const shellsBefore = target.shells();
      const agent = await AgentSession.open(client);
      const t = await interleaved(slow ? Math.min(n, 40) : n, {
        agent: () => viaAgent(agent, target),
        ping: () => agent.ping().then(() => undefined),
        nodelay: () => rawExec(client, 'true'),
        nagle: () => rawExec(nagle, 'true'),
        start: () => viaStartScript(client, target),
      });
      const shells = target.shells() - shellsBefore;
      await agent.cleanup(undefined, undefined);
      const p50 = (name: string) => percentile(t[name] ?? [], 50);
      const ref = slow ? 'nagle' : 'nodelay';
      rows.push({
        figure: `agent: true p50, ${where}`,
        deckhand: fmtMs(p50('agent')),
        reference: `raw ssh2 exec${slow ? '' : ' with TCP_NODELAY'} ${fmtMs(p50(ref))}`,
        ratio: `${(p50('agent') / p50(ref)).toFixed(2)}x`,
        target: slow ? '<= 0.25x' : '<= 3x',
      });
      rows.push({
        figure: `agent: true p95, ${where}`,
        deckhand: fmtMs(percentile(t.agent ?? [], 95)),
        reference: `raw ssh2 exec${slow ? '' : ' with TCP_NODELAY'} ${fmtMs(percentile(t[ref] ?? [], 95))}`,
        ratio: `${(percentile(t.agent ?? [], 95) / percentile(t[ref] ?? [], 95)).toFixed(2)}x`,
        target: '',
      });
      rows.push({
        figure: `agent: ping p50 (its own round trip), ${where}`,
        deckhand: fmtMs(p50('ping')),
        reference: 'the rest of true is the runner: mkdir, setsid sh run, setsid bash cmd',
        ratio: '',
        target: '',
      });
      rows.push({
        figure: `agent vs start script (1 exec), ${where}`,
        deckhand: fmtMs(p50('agent')),
        reference: `start script ${fmtMs(p50('start'))}; raw exec ${slow ? 'nodelay' : 'nagle'} ${fmtMs(p50(slow ? 'nodelay' : 'nagle'))}`,
        ratio: `${(p50('agent') / p50('start')).toFixed(2)}x`,
        target: '',
      });
      if (slow) {
        // Every iteration ran one command each way but ping (3 warm-up rounds included); raw execs and start scripts cost a
        // login shell each, so what is left is the agent's.
        const calls = (t.agent?.length ?? 0) + 3;
        rows.push({
          figure: `agent: login shells started for ${calls} commands`,
          deckhand: String(shells - 3 * calls),
          reference: `${calls} for ${calls} raw execs, ${calls} for ${calls} start scripts`,
          ratio: '',
          target: '1',
        });
      }
      await agent.close();
    } finally {
      await target.stop();
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows: Row[] = [];
  benchAgent(rows)
    .then(() => printTable(rows))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
