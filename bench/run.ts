// npm run bench: deckhand's figures next to references measured in the same run, against the same local sshd.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { Client as SshClient } from 'ssh2';
import { tempHome } from '../tests/helpers/home.js';
import { startStdio, structured, type StdioSession } from '../tests/helpers/mcp.js';
import { startSshd, type SshdHandle } from '../tests/helpers/sshd.js';
import { fmtMs, percentile, printTable, type Row } from './stats.js';
import { benchAgent } from './agent.js';
import { benchDeploy } from './deploy.js';
import { benchFanout, benchOneCommand } from './fanout.js';
import { benchFiles } from './files.js';
import { benchFilesMcp } from './files-mcp.js';
import { benchJobs } from './jobs.js';
import { benchPool } from './pool.js';
import { benchProvisioning } from './provisioning.js';
import { benchTemplates } from './templates.js';

const rows: Row[] = [];

function sshArgs(sshd: SshdHandle, cmd: string): string[] {
  return [
    '-i',
    sshd.clientKey,
    '-p',
    String(sshd.port),
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'BatchMode=yes',
    `${sshd.user}@${sshd.host}`,
    cmd,
  ];
}

function timeSsh(sshd: SshdHandle, cmd: string): number {
  const t = performance.now();
  execFileSync('ssh', sshArgs(sshd, cmd), { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 30 });
  return performance.now() - t;
}

async function rawSsh2(sshd: SshdHandle, n: number, noDelay = false): Promise<number[]> {
  const c = new SshClient();
  await new Promise<void>((resolve, reject) => {
    c.once('ready', () => resolve())
      .once('error', reject)
      .connect({ host: sshd.host, port: sshd.port, username: sshd.user, privateKey: fs.readFileSync(sshd.clientKey) });
  });
  if (noDelay) c.setNoDelay(true);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await new Promise<void>((resolve, reject) =>
      c.exec('true', (err, s) => {
        if (err) return reject(err);
        s.on('data', () => undefined).on('close', () => resolve());
        s.stderr.on('data', () => undefined);
      }),
    );
    times.push(performance.now() - t);
  }
  c.end();
  return times;
}

/** Resets the kernel's peak-RSS mark (VmHWM) of a process, so the next reading is the peak of what follows. */
function resetPeakRss(pid: number | null): boolean {
  if (!pid) return false;
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

function peakRss(pid: number | null): number {
  if (!pid) return NaN;
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function main(): Promise<void> {
  const sshd = await startSshd({ extraConfig: 'MaxSessions 64' });
  const home = tempHome();
  let mcp: StdioSession | undefined;
  try {
    mcp = await startStdio({ DECKHAND_HOME: home.dir, DECKHAND_LOG_LEVEL: 'error' });
    const added = await mcp.call('add-server', {
      name: 'bench',
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      private_key_path: sshd.clientKey,
    });
    if (added.isError) throw new Error(JSON.stringify(added.content));
    const N = Number(process.env.BENCH_CALLS ?? 200);
    for (let i = 0; i < 5; i++) await mcp.call('remote-bash', { server: 'bench', command: 'true' });

    for (const mode of ['auto'] as const) {
      const times: number[] = [];
      for (let i = 0; i < N; i++) {
        const t = performance.now();
        const r = structured<{ status: string }>(
          await mcp.call('remote-bash', { server: 'bench', command: 'true', mode }),
        );
        times.push(performance.now() - t);
        if (r.status !== 'completed') throw new Error(`remote-bash true: ${r.status}`);
      }
      const raw = await rawSsh2(sshd, N);
      // ssh2's defaults leave Nagle's algorithm on (each exec then waits on a delayed ACK); deckhand's pool turns it
      // off, so the same exec with TCP_NODELAY is shown too: the floor any ssh2-based design can reach.
      const tuned = await rawSsh2(sshd, N, true);
      const ssh: number[] = [];
      for (let i = 0; i < Math.min(N, 50); i++) ssh.push(timeSsh(sshd, 'true'));
      const p50 = percentile(times, 50);
      rows.push({
        figure: `remote-bash true, ${N} calls, p50 (${mode})`,
        deckhand: fmtMs(p50),
        reference: `raw ssh2 exec ${fmtMs(percentile(raw, 50))}`,
        ratio: `${(p50 / percentile(raw, 50)).toFixed(2)}x`,
        target: '<= 1.3x',
      });
      rows.push({
        figure: `remote-bash true, p50 vs TCP_NODELAY exec (${mode})`,
        deckhand: fmtMs(p50),
        reference: `raw ssh2 exec, nodelay ${fmtMs(percentile(tuned, 50))}`,
        ratio: `${(p50 / percentile(tuned, 50)).toFixed(2)}x`,
        target: '',
      });
      rows.push({
        figure: `remote-bash true, p95 (${mode})`,
        deckhand: fmtMs(percentile(times, 95)),
        reference: `raw ssh2 exec ${fmtMs(percentile(raw, 95))}`,
        ratio: `${(percentile(times, 95) / percentile(raw, 95)).toFixed(2)}x`,
        target: '',
      });
      rows.push({
        figure: `remote-bash true, p50 vs OpenSSH ssh (${mode})`,
        deckhand: fmtMs(p50),
        reference: `ssh host true ${fmtMs(percentile(ssh, 50))}`,
        ratio: `${(percentile(ssh, 50) / p50).toFixed(2)}x faster`,
        target: '>= 2x faster',
      });
    }

    {
      const t = performance.now();
      const r = structured<{ status: string; stdout: string }>(
        await mcp.call('remote-bash', { server: 'bench', command: 'seq 1 2000000', mode: 'sync' }),
      );
      const ours = performance.now() - t;
      if (r.status !== 'completed') throw new Error('seq failed');
      const ref = timeSsh(sshd, 'seq 1 2000000');
      rows.push({
        figure: 'remote-bash seq 1 2000000 (wall)',
        deckhand: fmtMs(ours),
        reference: `ssh > /dev/null ${fmtMs(ref)}`,
        ratio: `${(ours / ref).toFixed(2)}x`,
        target: '<= 1.5x',
      });
      rows.push({
        figure: 'deckhand peak RSS so far',
        deckhand: `${peakRss(mcp.pid()).toFixed(0)} MB`,
        reference: '',
        ratio: '',
        target: '< 150 MB',
      });
    }

    await benchJobs({
      mcp,
      sshd,
      home: home.dir,
      rows,
      timeSsh: (cmd) => timeSsh(sshd, cmd),
      peakRss: () => peakRss(mcp?.pid() ?? null),
      resetPeakRss: () => resetPeakRss(mcp?.pid() ?? null),
    });
  } finally {
    await mcp?.close().catch(() => undefined);
    await sshd.stop();
    home.cleanup();
  }
  // Provisioning and deploys bring their own targets (a fake cloud API, netns hosts with a Docker engine).
  if (process.env.BENCH_SKIP_PROVISIONING !== '1') await benchProvisioning(rows);
  if (process.env.BENCH_SKIP_DEPLOY !== '1') await benchDeploy(rows);
  if (process.env.BENCH_SKIP_FILES !== '1') {
    await benchFiles(rows);
    await benchFilesMcp(rows);
  }
  // The resident agent brings its own targets (a slow and a fast login shell).
  if (process.env.BENCH_SKIP_AGENT !== '1') await benchAgent(rows);
  // One command over MCP on a slow and a fast login shell, and uptime on 50 sshds against parallel-ssh and ansible.
  if (process.env.BENCH_SKIP_FANOUT !== '1') {
    await benchOneCommand(rows);
    await benchFanout(rows);
  }
  // PostgreSQL mode: three instances on one throwaway PostgreSQL against SQLite with one, on 20 sshds of its own.
  if (process.env.BENCH_SKIP_POOL !== '1') await benchPool(rows);
  // Templates and schedules on the embedded store (no sshd: runs are created, never executed).
  if (process.env.BENCH_SKIP_TEMPLATES !== '1') await benchTemplates(rows);
  printTable(rows);
  void spawn;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
