// Fan-out and the resident agent through the deckhand binary over MCP, each figure next to a reference measured in the
// same run: `uptime` on 50 loopback sshds against parallel-ssh and ansible's raw module (cold and warm), one command
// on a slow and on a fast login shell against a raw ssh2 exec and OpenSSH, and deckhand's memory with 50 connections
// (and their agents) open. Run alone: npm run bench:fanout (BENCH_FANOUT_SERVERS, default 50; BENCH_FANOUT_CALLS, 40).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Client } from 'ssh2';
import { tempHome } from '../tests/helpers/home.js';
import { startStdio, structured, textOf, type StdioSession } from '../tests/helpers/mcp.js';
import { startSshd, type SshdHandle } from '../tests/helpers/sshd.js';
import { startTarget } from '../tests/remote-bash/agent/target.js';
import { fmtMs, percentile, printTable, type Row } from './stats.js';

const SSH_OPTS = ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'];

function memOf(pid: number | null): { rss: number; hwm: number } {
  const status = pid ? fs.readFileSync(`/proc/${pid}/status`, 'utf8') : '';
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

function timed(f: () => void): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

async function timedAsync(f: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

async function addServers(mcp: StdioSession, sshds: SshdHandle[], key: string): Promise<void> {
  for (const [i, s] of sshds.entries()) {
    const r = await mcp.call('add-server', {
      name: `fan-${i + 1}`,
      host: s.host,
      port: s.port,
      user: s.user,
      private_key_path: key,
      labels: { role: 'bench' },
    });
    if (r.isError) throw new Error(textOf(r));
  }
}

/** `uptime` on every server through one remote-bash call (a batch); fails loudly unless every child completed. */
async function fanOut(mcp: StdioSession, n: number): Promise<void> {
  const r = await mcp.call(
    'remote-bash',
    { selector: 'role=bench', command: 'uptime', mode: 'sync', max_parallel: n },
    { timeoutMs: 300_000 },
  );
  const b = structured<{ status: string; batch?: { counts: Record<string, number> } }>(r);
  if (r.isError || b.status !== 'completed') throw new Error(`fan-out: ${textOf(r).slice(0, 500)}`);
}

/** Cold (a new deckhand process each time: no connection open) and warm fan-outs, and memory after them. */
async function measureDeckhand(
  sshds: SshdHandle[],
  key: string,
  agent: 'on' | 'off',
): Promise<{ cold: number[]; warm: number[]; mem: { rss: number; hwm: number } }> {
  const n = sshds.length;
  const home = tempHome();
  const env = { DECKHAND_HOME: home.dir, DECKHAND_LOG_LEVEL: 'error', DECKHAND_REMOTE_AGENT: agent };
  const cold: number[] = [];
  const warm: number[] = [];
  let mcp: StdioSession | undefined;
  try {
    mcp = await startStdio(env);
    await addServers(mcp, sshds, key);
    for (let i = 0; i < 3; i++) {
      if (i > 0) mcp = await startStdio(env);
      cold.push(await timedAsync(() => fanOut(mcp as StdioSession, n)));
      if (i < 2) await mcp.close();
    }
    for (let i = 0; i < 5; i++) warm.push(await timedAsync(() => fanOut(mcp as StdioSession, n)));
    return { cold, warm, mem: memOf(mcp.pid()) };
  } finally {
    await mcp?.close().catch(() => undefined);
    home.cleanup();
  }
}

export async function benchFanout(rows: Row[]): Promise<void> {
  const n = Number(process.env.BENCH_FANOUT_SERVERS ?? 50);
  const aux = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-fanout-'));
  // HOME of the sessions: job directories go there, not into this machine's /root.
  const sshds = await Promise.all(Array.from({ length: n }, () => startSshd({ extraConfig: `SetEnv HOME=${aux}` })));
  try {
    // One client key for every server, as parallel-ssh and ansible take one identity.
    const key = sshds[0]!.clientKey;
    const pub = fs.readFileSync(`${key}.pub`, 'utf8');
    for (const s of sshds.slice(1)) fs.appendFileSync(path.join(s.dir, 'authorized_keys'), pub);
    const hosts = path.join(aux, 'hosts');
    fs.writeFileSync(hosts, sshds.map((s) => `${s.user}@${s.host}:${s.port}`).join('\n') + '\n');
    const inventory = path.join(aux, 'inventory');
    fs.writeFileSync(
      inventory,
      sshds.map((s, i) => `h${i + 1} ansible_host=${s.host} ansible_port=${s.port} ansible_user=${s.user}`).join('\n') +
        '\n',
    );

    const pssh = () =>
      timed(() =>
        execFileSync(
          'parallel-ssh',
          ['-p', String(n), '-h', hosts, '-x', [`-i ${key}`, ...SSH_OPTS].join(' '), 'uptime'],
          { stdio: 'ignore' },
        ),
      );
    const ansible = (controlDir: string) =>
      timed(() =>
        execFileSync(
          'ansible',
          ['all', '-i', inventory, '-m', 'raw', '-a', 'uptime', '-f', String(n), '--private-key', key],
          {
            stdio: 'ignore',
            env: {
              ...process.env,
              ANSIBLE_HOST_KEY_CHECKING: 'False',
              ANSIBLE_HOME: path.join(aux, 'ansible'),
              ANSIBLE_LOCAL_TEMP: path.join(aux, 'ansible-tmp'),
              ANSIBLE_SSH_CONTROL_PATH_DIR: controlDir,
            },
          },
        ),
      );

    const deckhand = { on: await measureDeckhand(sshds, key, 'on'), off: await measureDeckhand(sshds, key, 'off') };
    const { cold, warm, mem } = deckhand.on;
    const psshTimes = [pssh(), pssh(), pssh()];
    const ansibleCold = [0, 1, 2].map((i) => ansible(path.join(aux, `cp-cold-${i}`)));
    const warmDir = path.join(aux, 'cp-warm');
    ansible(warmDir);
    const ansibleWarm = [ansible(warmDir), ansible(warmDir), ansible(warmDir)];

    const p = (v: number[]) => percentile(v, 50);
    const ref = p(psshTimes);
    rows.push({
      figure: `fan-out: uptime on ${n} servers, cold (median of 3)`,
      deckhand: fmtMs(p(cold)),
      reference: `parallel-ssh -p ${n} ${fmtMs(ref)}; ansible -m raw -f ${n} ${fmtMs(p(ansibleCold))}`,
      ratio: `${(p(cold) / ref).toFixed(2)}x`,
      target: '<= 1x parallel-ssh',
    });
    rows.push({
      figure: `fan-out: uptime on ${n} servers, warm (median of 5)`,
      deckhand: fmtMs(p(warm)),
      reference: `parallel-ssh ${fmtMs(ref)}; ansible raw, ControlPersist warm ${fmtMs(p(ansibleWarm))}`,
      ratio: `${(p(warm) / ref).toFixed(2)}x`,
      target: '<= 0.1x parallel-ssh',
    });
    rows.push({
      figure: `fan-out: the same without the agent (DECKHAND_REMOTE_AGENT=off)`,
      deckhand: `cold ${fmtMs(p(deckhand.off.cold))}, warm ${fmtMs(p(deckhand.off.warm))}`,
      reference: `with the agent: cold ${fmtMs(p(cold))}, warm ${fmtMs(p(warm))}`,
      ratio: `${(p(cold) / p(deckhand.off.cold)).toFixed(2)}x, ${(p(warm) / p(deckhand.off.warm)).toFixed(2)}x`,
      target: '',
    });
    rows.push({
      figure: `fan-out: deckhand memory with ${n} connections and agents open`,
      deckhand: `RSS ${mem.rss.toFixed(0)} MB, peak ${mem.hwm.toFixed(0)} MB`,
      reference: '',
      ratio: '',
      target: '< 200 MB',
    });
  } finally {
    await Promise.all(sshds.map((s) => s.stop()));
    fs.rmSync(aux, { recursive: true, force: true });
  }
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

/** remote-bash `true` through MCP with the agent and on the exec path, a raw ssh2 exec and `ssh host true`. */
export async function benchOneCommand(rows: Row[]): Promise<void> {
  const calls = Number(process.env.BENCH_FANOUT_CALLS ?? 40);
  for (const slow of [false, true]) {
    const target = await startTarget({ slowShell: slow });
    const homes = [tempHome(), tempHome()];
    const sessions: StdioSession[] = [];
    try {
      for (const [i, agent] of ['on', 'off'].entries()) {
        const mcp = await startStdio({
          DECKHAND_HOME: homes[i]!.dir,
          DECKHAND_LOG_LEVEL: 'error',
          DECKHAND_REMOTE_AGENT: agent,
        });
        sessions.push(mcp);
        const r = await mcp.call('add-server', {
          name: 't',
          host: target.sshd.host,
          port: target.sshd.port,
          user: target.sshd.user,
          private_key_path: target.sshd.clientKey,
        });
        if (r.isError) throw new Error(textOf(r));
      }
      const client = await target.connect();
      const sshArgs = ['-i', target.sshd.clientKey, '-p', String(target.sshd.port), ...SSH_OPTS, '-o', 'BatchMode=yes'];
      const one = (mcp: StdioSession) => async () => {
        const r = structured<{ status: string }>(await mcp.call('remote-bash', { server: 't', command: 'true' }));
        if (r.status !== 'completed') throw new Error(`remote-bash true: ${r.status}`);
      };
      const ways: Record<string, () => Promise<void>> = {
        agent: one(sessions[0]!),
        exec: one(sessions[1]!),
        raw: () => rawExec(client, 'true'),
        ssh: async () => {
          execFileSync('ssh', [...sshArgs, `${target.sshd.user}@${target.sshd.host}`, 'true'], { stdio: 'ignore' });
        },
      };
      const t: Record<string, number[]> = { agent: [], exec: [], raw: [], ssh: [] };
      // Interleaved, so a machine busy with other work weighs on every way alike; 3 rounds of warm-up.
      const rounds = slow ? Math.min(calls, 15) : calls;
      for (let i = -3; i < rounds; i++)
        for (const [name, f] of Object.entries(ways)) {
          const ms = await timedAsync(f);
          if (i >= 0) t[name]!.push(ms);
        }
      const p = (name: string) => percentile(t[name] ?? [], 50);
      const where = slow ? 'slow login shell (0.2 s)' : 'fast login shell';
      rows.push({
        figure: `remote-bash true p50 over MCP, ${where}`,
        deckhand: fmtMs(p('agent')),
        reference: `raw ssh2 exec (TCP_NODELAY) ${fmtMs(p('raw'))}; ssh host true ${fmtMs(p('ssh'))}`,
        ratio: `${(p('agent') / p('raw')).toFixed(2)}x raw, ${(p('agent') / p('ssh')).toFixed(2)}x ssh`,
        target: slow ? '<= 0.25x raw' : '<= 3x raw',
      });
      rows.push({
        figure: `remote-bash true p50 over MCP, ${where}, exec path`,
        deckhand: fmtMs(p('exec')),
        reference: `the agent ${fmtMs(p('agent'))}`,
        ratio: `${(p('agent') / p('exec')).toFixed(2)}x`,
        target: '',
      });
    } finally {
      for (const s of sessions) await s.close().catch(() => undefined);
      await target.stop();
      for (const h of homes) h.cleanup();
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows: Row[] = [];
  benchOneCommand(rows)
    .then(() => benchFanout(rows))
    .then(() => printTable(rows))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
