// What makes the namespace look like a separate machine: the keeper script that builds its private mount and UTS
// namespace, and the sshd/dockerd configuration. Used by netns-host.ts.
import { existsSync, lstatSync, statSync } from 'node:fs';
import { mountsUnder, PREFIX } from './netns-host-sys.js';

/** Top-level dirs that get a copy-on-write overlay inside the test host, so nothing run over SSH writes to this machine. */
const OVERLAY_DIRS = ['etc', 'var', 'usr', 'root', 'home', 'opt', 'srv'];
/** Binaries hidden (overlay whiteouts) when the host is started with dockerPresent: false. */
const DOCKER_BINARIES = [
  'docker',
  'dockerd',
  'docker-proxy',
  'docker-init',
  'docker-compose',
  'docker-buildx',
  'containerd',
  'ctr',
  'runc',
];
const DOCKER_BIN_DIRS = ['bin', 'sbin', 'local/bin', 'local/sbin', 'libexec/docker/cli-plugins'];

/** Dirs that can be overlaid safely: real directories on the root filesystem with nothing mounted inside. */
export function overlayDirs(): string[] {
  const rootDev = statSync('/').dev;
  return OVERLAY_DIRS.filter((d) => {
    const p = `/${d}`;
    if (!existsSync(p)) return false;
    const st = lstatSync(p);
    return st.isDirectory() && st.dev === rootDev && mountsUnder(p).length === 0;
  });
}

/** Paths below /usr (relative) of the Docker binaries to whiteout. */
export function dockerWhiteouts(): string[] {
  const out: string[] = [];
  for (const dir of DOCKER_BIN_DIRS)
    for (const bin of DOCKER_BINARIES) if (existsSync(`/usr/${dir}/${bin}`)) out.push(`${dir}/${bin}`);
  return out;
}

/**
 * The keeper: first process of the test host, run as
 *   nsenter --net=/run/netns/NS unshare --mount --uts --propagation slave sh -c KEEPER_SCRIPT keeper DIR HOSTNAME DIRS HIDE
 * It gives the namespace a fresh /run (tmpfs), copy-on-write overlays of the system dirs (upper layers in DIR/fs),
 * a sysfs of its own network namespace (keeping the cgroup mounts dockerd needs) and its own hostname, then sleeps.
 * sshd and dockerd join its namespaces with `nsenter -t PID -m -n -u`. Slave propagation: none of these mounts
 * reach the machine, and they vanish with the last process of the namespace.
 */
export const KEEPER_SCRIPT = `set -eu
T=$1; NAME=$2; DIRS=$3; HIDE=$4
mount -t tmpfs -o mode=0755,size=64m ${PREFIX}-run /run
mkdir -p /run/sshd /run/lock /run/user; chmod 1777 /run/lock; ln -s /dev/shm /run/shm
for d in $DIRS; do
  mkdir -p "$T/fs/$d/upper" "$T/fs/$d/work"
  if [ "$d" = usr ]; then
    for h in $HIDE; do mkdir -p "$T/fs/usr/upper/$(dirname "$h")"; mknod "$T/fs/usr/upper/$h" c 0 0; done
  fi
  mount -t overlay ${PREFIX}-$d -o "lowerdir=/$d,upperdir=$T/fs/$d/upper,workdir=$T/fs/$d/work" "/$d"
done
if mountpoint -q /sys/fs/cgroup; then
  mkdir -p "$T/hold"; mount --rbind /sys/fs/cgroup "$T/hold"
  umount -l /sys; mount -t sysfs ${PREFIX}-sys /sys; mount --rbind "$T/hold" /sys/fs/cgroup; umount -l "$T/hold"
fi
hostname "$NAME"
case " $DIRS " in *" etc "*)
  echo "$NAME" > /etc/hostname; printf '127.0.1.1\\t%s\\n' "$NAME" >> /etc/hosts;;
esac
echo ready > "$T/keeper.ready"
exec sleep infinity
`;

export function sshdConfig(dir: string, ip: string, port: number): string {
  return [
    `Port ${port}`,
    `ListenAddress ${ip}`,
    `HostKey ${dir}/hostkey`,
    // The harness's client key, plus root's own file (copy-on-write in the host) so tests can add keys as on a server.
    `AuthorizedKeysFile ${dir}/authorized_keys .ssh/authorized_keys`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'StrictModes no',
    'UsePAM no',
    // bash sources ~/.bashrc for sshd sessions only at shell level 1; this machine's root .bashrc runs pyenv, whose
    // rehash lock stalls sessions for up to 60 s under load. A fresh server has no such .bashrc.
    'SetEnv SHLVL=1',
    `PidFile ${dir}/sshd.pid`,
    'Subsystem sftp internal-sftp',
    'MaxStartups 100:30:200',
    'MaxSessions 64',
    'PrintMotd no',
    'PrintLastLog no',
    'AcceptEnv LANG LC_*',
    'LogLevel VERBOSE',
    '',
  ].join('\n');
}

export interface DockerdPaths {
  dir: string;
  configFile: string;
  sock: string;
  pidFile: string;
}

/**
 * dockerd flags that work here (Debian docker.io 20.10, cgroup v1, no registry): vfs storage and every path in the
 * harness dir; a second socket at /run/docker.sock inside the host (its private /run) so `docker` over SSH needs
 * no DOCKER_HOST; iptables stays on (the rules live in the namespace's own netfilter tables).
 */
export function dockerdArgs(p: DockerdPaths, cgroupParent: string | undefined): string[] {
  return [
    '--config-file',
    p.configFile,
    '--storage-driver=vfs',
    '--data-root',
    `${p.dir}/docker/data`,
    '--exec-root',
    `${p.dir}/docker/exec`,
    '-H',
    `unix://${p.sock}`,
    '-H',
    'unix:///run/docker.sock',
    '--pidfile',
    p.pidFile,
    '--shutdown-timeout',
    '5',
    ...(cgroupParent ? ['--cgroup-parent', cgroupParent] : []),
  ];
}
