// Lifecycle of a netns test host (netns-host.ts): spawning its daemons, readiness probes, orderly stop, and the
// synchronous hard teardown that also runs on process exit.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import {
  destroyNetnsSync,
  isAlive,
  killAndRemoveCgroupSync,
  killQuietly,
  type NetAllocation,
  pidsMentioning,
  PREFIX,
  removeDirSync,
  run,
  runSync,
  shQuote,
  sysEnv,
} from './netns-host-sys.js';
import { waitFor } from './wait.js';

export interface State {
  net: NetAllocation;
  dir: string;
  children: ChildProcess[];
  torn: boolean;
}

export const live = new Set<State>();
const LOG_FILES = ['keeper.log', 'sshd.log', 'dockerd.log'];

export function readLogs(dir: string): string {
  return LOG_FILES.map((f) => [f, existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').trimEnd() : ''])
    .filter(([, text]) => text)
    .map(([f, text]) => {
      const lines = (text ?? '').split('\n');
      return `==== ${f} (last ${Math.min(lines.length, 200)} of ${lines.length} lines) ====\n${lines.slice(-200).join('\n')}`;
    })
    .join('\n');
}

/** Kills every process of the host, removes its cgroups, namespace and dir. Synchronous so it can run on process exit. */
export function teardownSync(s: State): void {
  if (s.torn) return;
  s.torn = true;
  for (const c of s.children) killQuietly(c.pid, 'SIGKILL');
  killAndRemoveCgroupSync(s.net.name);
  for (const pid of pidsMentioning(s.dir)) killQuietly(pid, 'SIGKILL');
  const inNs = runSync('ip', ['netns', 'pids', s.net.name]).stdout.split('\n').filter(Boolean);
  for (const pid of inNs) killQuietly(Number(pid), 'SIGKILL');
  destroyNetnsSync(s.net);
  const keep = process.env.DKHNS_LOG_DIR;
  if (keep) {
    mkdirSync(keep, { recursive: true });
    for (const f of LOG_FILES)
      if (existsSync(join(s.dir, f))) copyFileSync(join(s.dir, f), join(keep, `${s.net.name}-${f}`));
  }
  removeDirSync(s.dir);
  live.delete(s);
}

let exitHooks = false;
export function installExitHooks(): void {
  if (exitHooks) return;
  exitHooks = true;
  const all = (): void => [...live].forEach(teardownSync);
  process.on('exit', all);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.once(sig, () => {
      all();
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
}

/** Spawns argv in its own process group, first moving itself into the host's cgroup; output appended to logFile. */
export function spawnInCgroup(s: State, cgroup: string | undefined, argv: string[], logFile: string): ChildProcess {
  const fd = openSync(join(s.dir, logFile), 'a');
  const script = cgroup ? `echo $$ > ${shQuote(`${cgroup}/cgroup.procs`)} && exec "$@"` : 'exec "$@"';
  const child = spawn('sh', ['-c', script, PREFIX, ...argv], {
    stdio: ['ignore', fd, fd],
    env: sysEnv(),
    detached: true,
  });
  closeSync(fd);
  child.on('error', () => undefined);
  child.unref();
  s.children.push(child);
  return child;
}

export function alive(child: ChildProcess, what: string): boolean {
  if (child.exitCode !== null || child.signalCode !== null)
    throw new Error(`${what} exited (${child.exitCode ?? child.signalCode})`);
  return true;
}

export function dockerPing(sock: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: sock, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

export function sshBanner(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port, timeout: 1000 });
    sock.once('data', (d: Buffer) => {
      sock.destroy();
      resolve(d.toString().startsWith('SSH-'));
    });
    sock.once('error', () => resolve(false));
    sock.once('timeout', () => (sock.destroy(), resolve(false)));
  });
}

/** Best-effort orderly shutdown (stacks, swarm, dockerd by its pid file), then the hard teardown that always runs. */
export async function stopGracefully(s: State, dockerEnv: NodeJS.ProcessEnv | undefined): Promise<void> {
  try {
    const dockerd = Number(readFileSync(join(s.dir, 'docker.pid'), 'utf8').trim()) || undefined;
    if (dockerEnv && !s.torn && isAlive(dockerd)) {
      const o = { env: dockerEnv, timeoutMs: 15_000 };
      const state = await run('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}'], o);
      if (state.stdout.trim() === 'active') {
        const stacks = (await run('docker', ['stack', 'ls', '--format', '{{.Name}}'], o)).stdout
          .split('\n')
          .filter(Boolean);
        for (const st of stacks) await run('docker', ['stack', 'rm', st], o);
        await run('docker', ['swarm', 'leave', '--force'], o);
      }
      killQuietly(dockerd, 'SIGTERM');
      await waitFor(() => !isAlive(dockerd), 'dockerd to exit', 20_000).catch(() => undefined);
    }
  } catch {
    /* no dockerd, or it is already gone: the hard teardown below handles whatever is left */
  } finally {
    teardownSync(s);
  }
}
