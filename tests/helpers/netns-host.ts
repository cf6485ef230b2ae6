// A "remote Linux host" for tests: a network namespace with a real OpenSSH sshd and, optionally, a real Docker engine
// (+ Swarm) of its own. See testing.md. Requires root, iproute2, openssh-server, util-linux; docker.io for `docker`.
//
//   const host = await startNetnsHost({ swarm: true });   // ~1.5 s; afterAll(() => host.stop())
//   await ensureLocalImages(host);                        // images.ts: local/busybox:1, local/whoami:1, local/traefik:1
//   ssh -i host.privateKeyPath -o UserKnownHostsFile=host.knownHostsPath -o StrictHostKeyChecking=yes root@host.ip
//
// Isolation: its own netns (veth /30 from 10.213.0.0/16, no default route: nothing leaves it), its own UTS namespace
// (hostname = name) and its own mount namespace with a fresh /run and copy-on-write overlays of /etc /var /usr /root
// /home /opt /srv, so whatever a test does over SSH (apt, /etc/docker/daemon.json, /opt/...) never reaches this machine
// and two hosts never see each other's files. /tmp and the rest are shared with the machine. `docker` in a session
// talks to the host's engine through /run/docker.sock, as on a server (no DOCKER_HOST).
//
// Limits of this kernel (no IPVS): Swarm service VIPs and the ingress routing mesh do not work. Publish ports with
// `mode: host`, and reach services from other tasks by `tasks.<service>` or with `endpoint_mode: dnsrr`. There is no
// registry: `docker stack deploy --resolve-image never`, `docker service create --no-resolve-image`.
// Processes, namespaces and dirs are all named dkhns-*; tests/helpers/ci-teardown.sh removes leftovers.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  alive,
  dockerPing,
  installExitHooks,
  live,
  readLogs,
  spawnInCgroup,
  sshBanner,
  type State,
  stopGracefully,
  teardownSync,
} from './netns-host-lifecycle.js';
import { dockerdArgs, dockerWhiteouts, KEEPER_SCRIPT, overlayDirs, sshdConfig } from './netns-host-setup.js';
import { createNetns, type ExecResult, hostCgroup, must, run, SYS_PATH, sysEnv, TMP_BASE } from './netns-host-sys.js';
import { waitFor } from './wait.js';

export type { ExecResult } from './netns-host-sys.js';

export interface NetnsHostOptions {
  /** Start a Docker engine of the host's own (default false). */
  docker?: boolean;
  /** `docker swarm init --advertise-addr <ip>` (implies docker). */
  swarm?: boolean;
  /** false: hide docker, dockerd, containerd, runc... from the host (sshd only), to test the install-Docker branch. */
  dockerPresent?: boolean;
}

export interface NetnsHost {
  /** Namespace name, also the host's hostname, e.g. dkhns-1234. */
  name: string;
  /** The host's address (eth0 in the namespace). */
  ip: string;
  /** This machine's end of the veth pair: the host can reach services a test runs there (e.g. a fake API). */
  hostIp: string;
  sshPort: number;
  user: 'root';
  privateKeyPath: string;
  /** `ssh-ed25519 AAAA...` of the host key. */
  hostPublicKey: string;
  /** As `ssh-keygen -lf` prints it: SHA256:... */
  hostKeyFingerprint: string;
  /** A known_hosts file with the host key for `ip` (use with StrictHostKeyChecking=yes). */
  knownHostsPath: string;
  /** The engine's socket as seen from this machine (docker -H unix://...); inside the host it is /run/docker.sock. */
  dockerSock?: string;
  /** Milliseconds spent in each start phase. */
  timings: Record<string, number>;
  /** Runs `sh -c cmd` as root inside the host (same namespaces and view as an SSH session), for assertions. */
  exec(cmd: string, opts?: { timeoutMs?: number }): Promise<ExecResult>;
  /** keeper, sshd and dockerd logs, for printing on failure. */
  logs(): string;
  /** Tears everything down; idempotent. */
  stop(): Promise<void>;
}

const SESSION_ENV = { PATH: SYS_PATH, HOME: '/root', USER: 'root', LOGNAME: 'root', SHELL: '/bin/sh', LANG: 'C.UTF-8' };

/** Starts a test host; on failure it removes whatever it made and throws with the daemons' logs. */
export async function startNetnsHost(opts: NetnsHostOptions = {}): Promise<NetnsHost> {
  const docker = Boolean(opts.docker || opts.swarm);
  if (docker && opts.dockerPresent === false)
    throw new Error('startNetnsHost: docker and dockerPresent: false conflict');
  installExitHooks();
  const started = Date.now();
  const timings: Record<string, number> = {};
  let t = started;
  const lap = (k: string): void => void ((timings[k] = Date.now() - t), (t = Date.now()));
  const netA = await createNetns();
  const s: State = { net: netA, dir: mkdtempSync(join(TMP_BASE, `${netA.name}-`)), children: [], torn: false };
  live.add(s);
  const { dir, name } = { dir: s.dir, name: netA.name };
  const [ip, sock] = [netA.nsIp, join(dir, 'docker.sock')];
  lap('netns');
  try {
    const keygen = (f: string): Promise<string> =>
      must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(dir, f)]);
    const keys = Promise.all([keygen('hostkey'), keygen('clientkey')]);
    keys.catch(() => undefined); // awaited below; avoid an unhandled rejection if the keeper fails first
    const cgroup = hostCgroup(name);
    const hide = opts.dockerPresent === false ? dockerWhiteouts() : [];
    const keeperNs = ['nsenter', `--net=/run/netns/${name}`, 'unshare', '--mount', '--uts', '--propagation', 'slave'];
    const keeperArgs = ['sh', '-c', KEEPER_SCRIPT, 'keeper', dir, name, overlayDirs().join(' '), hide.join(' ')];
    const keeper = spawnInCgroup(s, cgroup, [...keeperNs, ...keeperArgs], 'keeper.log');
    const ready = join(dir, 'keeper.ready');
    await waitFor(() => alive(keeper, 'keeper') && existsSync(ready), 'the namespace keeper', 10_000, 20);
    const enter = ['-t', String(keeper.pid), '-m', '-n', '-u', '--']; // nsenter args joining the host
    lap('keeper');
    if (docker) {
      writeFileSync(join(dir, 'daemon.json'), '{}\n');
      const paths = { dir, configFile: join(dir, 'daemon.json'), sock, pidFile: join(dir, 'docker.pid') };
      const args = dockerdArgs(paths, cgroup ? `/${name}/containers` : undefined);
      const dockerd = spawnInCgroup(s, cgroup, ['nsenter', ...enter, 'dockerd', ...args], 'dockerd.log');
      await waitFor(async () => alive(dockerd, 'dockerd') && dockerPing(sock), 'dockerd to answer /_ping', 60_000);
      lap('dockerd');
    }
    await keys;
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'clientkey.pub')), { mode: 0o600 });
    writeFileSync(join(dir, 'sshd_config'), sshdConfig(dir, ip, 22));
    const sshdArgs = ['/usr/sbin/sshd', '-D', '-f', join(dir, 'sshd_config'), '-E', join(dir, 'sshd.log')];
    const sshd = spawnInCgroup(s, cgroup, ['nsenter', ...enter, ...sshdArgs], 'sshd.log');
    await waitFor(async () => alive(sshd, 'sshd') && sshBanner(ip, 22), 'sshd to send its banner', 15_000, 50);
    const hostPublicKey = readFileSync(join(dir, 'hostkey.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    const knownHostsPath = join(dir, 'known_hosts');
    writeFileSync(knownHostsPath, `${ip} ${hostPublicKey}\n`);
    const hostKeyFingerprint = (await must('ssh-keygen', ['-lf', join(dir, 'hostkey.pub')])).split(' ')[1] ?? '';
    lap('sshd');
    const dockerEnv = sysEnv({ DOCKER_HOST: `unix://${sock}` });
    if (opts.swarm) {
      await must('docker', ['swarm', 'init', '--advertise-addr', ip], { env: dockerEnv, timeoutMs: 60_000 });
      lap('swarm');
    }
    timings.total = Date.now() - started;
    let stopping: Promise<void> | undefined;
    return {
      name,
      ip,
      hostIp: netA.hostIp,
      sshPort: 22,
      user: 'root',
      privateKeyPath: join(dir, 'clientkey'),
      hostPublicKey,
      hostKeyFingerprint,
      knownHostsPath,
      ...(docker ? { dockerSock: sock } : {}),
      timings,
      exec: (cmd, o = {}) => run('nsenter', [...enter, 'sh', '-c', cmd], { env: SESSION_ENV, ...o }),
      logs: () => (s.torn ? '(host stopped; set DKHNS_LOG_DIR to keep its logs)' : readLogs(dir)),
      stop: () => (stopping ??= stopGracefully(s, docker ? dockerEnv : undefined)),
    };
  } catch (err) {
    const logs = readLogs(dir);
    teardownSync(s);
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`startNetnsHost failed (${name}, ${dir}, cleaned up): ${msg}\n${logs}`);
  }
}
