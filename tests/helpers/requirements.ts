// What a test needs from this machine, checked before it starts: a missing tool fails the run loudly, naming what is
// missing and how to install it, instead of the test skipping or failing obscurely half-way (.ci/run installs them all).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

export interface Requirement {
  /** What is needed, as a person would say it. */
  readonly what: string;
  readonly met: () => boolean;
  /** How to get it on Debian. */
  readonly install: string;
}

const SYS_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A program found on PATH or in the system directories. */
export function command(name: string, pkg: string): Requirement {
  return {
    what: `the ${name} command`,
    met: () =>
      spawnSync('sh', ['-c', `command -v ${name}`], {
        env: { PATH: `${process.env.PATH ?? ''}:${SYS_PATH}` },
        stdio: 'ignore',
      }).status === 0,
    install: `apt-get install -y ${pkg}`,
  };
}

export function file(path: string, pkg: string): Requirement {
  return { what: path, met: () => fs.existsSync(path), install: `apt-get install -y ${pkg}` };
}

export const root: Requirement = {
  what: 'root (network namespaces, mounts, cgroups and a Docker engine of the test host)',
  met: () => process.getuid?.() === 0,
  install: 'run the tests as root, e.g. in the CI container (.ci/run)',
};

/** Throws one error listing everything missing, for `who` (a test project or file). */
export function requireAll(who: string, reqs: readonly Requirement[]): void {
  const missing = reqs.filter((r) => !r.met());
  if (missing.length === 0) return;
  const lines = missing.map((r) => `  - ${r.what}: ${r.install}`);
  throw new Error(`${who} cannot run on this machine; missing:\n${lines.join('\n')}\n(.ci/run installs all of it.)`);
}

/** A real OpenSSH server and client on loopback (tests/helpers/sshd.ts, the OpenSSH side channel). */
export const OPENSSH: readonly Requirement[] = [
  file('/usr/sbin/sshd', 'openssh-server'),
  command('ssh', 'openssh-client'),
  command('ssh-keygen', 'openssh-client'),
  command('pgrep', 'procps'),
  command('pkill', 'procps'),
];

/** The docker CLI alone: `docker stack config` loads compose files without a daemon. */
export const DOCKER_CLI: readonly Requirement[] = [command('docker', 'docker.io')];

/** A network-namespace test host with its own sshd and Docker engine (tests/helpers/netns-host.ts). */
export const NETNS_HOST: readonly Requirement[] = [
  root,
  command('ip', 'iproute2'),
  command('nsenter', 'util-linux'),
  command('unshare', 'util-linux'),
  command('umount', 'mount'),
  command('tar', 'tar'),
  command('dockerd', 'docker.io'),
  ...DOCKER_CLI,
  file('/bin/busybox', 'busybox-static'),
  // setup-server as a user with passwordless sudo: the host's /usr is this machine's.
  command('sudo', 'sudo'),
  ...OPENSSH,
];

/** The binary on a real sshd: OpenSSH, plus script(1) for a pseudo-terminal and ss(8) to see deckhand's sockets. */
export const E2E: readonly Requirement[] = [...OPENSSH, command('script', 'bsdutils'), command('ss', 'iproute2')];
