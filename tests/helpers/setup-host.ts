// Stand-ins installed inside a netns test host (netns-host.ts) so setup-server can run its real steps there:
//   - /usr/local/sbin/docker: logs every docker invocation (argv) to /var/log/dkh-docker-calls.log, can fail one
//     subcommand on demand (failDocker('network create')), then runs the real CLI. Lets a test prove what was run.
//   - /usr/local/sbin/systemctl + /run/systemd/system: the host has no systemd, so "systemctl restart docker" is played
//     by stopping the host's dockerd and starting it again with the same command line (same data root, same swarm).
// Both live in the host's copy-on-write /usr and its own /run: nothing reaches this machine.
// Also: the host's copy of /root/.bashrc is emptied. This machine's root .bashrc runs `pyenv init -`, whose rehash
// lock makes every SSH session wait (up to 60 s) while any other shell on the machine holds it; a server has no such
// thing, and it would only make these tests slow and flaky.
import type { NetnsHost } from './netns-host.js';

const DOCKER_SHIM = `#!/bin/sh
echo "$*" >> /var/log/dkh-docker-calls.log
if [ -f /etc/dkh-fail-docker ] && [ "$1 $2" = "$(cat /etc/dkh-fail-docker)" ]; then
  echo "injected failure: docker $1 $2" >&2; exit 1
fi
for d in /usr/local/bin/docker /usr/bin/docker; do [ -x "$d" ] && exec "$d" "$@"; done
echo "docker: not found" >&2; exit 127
`;

const SYSTEMCTL_SHIM = `#!/bin/sh
# Test stand-in for systemd: only "systemctl restart|enable|is-active docker".
echo "$*" >> /var/log/dkh-systemctl-calls.log
unit=""; for a in "$@"; do case "$a" in docker|docker.service) unit=docker;; esac; done
[ "$unit" = docker ] || { echo "systemctl stand-in: unsupported: $*" >&2; exit 1; }
me=$(readlink /proc/self/ns/mnt)
pid=""; for p in $(pgrep -x dockerd); do [ "$(readlink /proc/$p/ns/mnt)" = "$me" ] && pid=$p && break; done
case "$1" in
  is-active) [ -n "$pid" ] && { echo active; exit 0; }; echo inactive; exit 3;;
  enable) exit 0;;
  restart)
    [ -n "$pid" ] || { echo "no dockerd to restart" >&2; exit 1; }
    set -- $(tr '\\0' ' ' < /proc/$pid/cmdline)
    kill -TERM "$pid"
    i=0; while kill -0 "$pid" 2>/dev/null; do i=$((i+1)); [ $i -gt 300 ] && { echo "dockerd did not stop" >&2; exit 1; }; sleep 0.1; done
    setsid "$@" >> /var/log/dkh-dockerd-restarts.log 2>&1 < /dev/null &
    exit 0;;
esac
echo "systemctl stand-in: unsupported: $*" >&2; exit 1
`;

export interface SetupHostShims {
  /** docker invocations (argv joined) since the last clear, in order. */
  dockerCalls(): Promise<string[]>;
  clearDockerCalls(): Promise<void>;
  /** Makes "docker <sub> <command>" fail until clearFailure() (e.g. 'network create'). */
  failDocker(subcommand: string): Promise<void>;
  clearFailure(): Promise<void>;
  dockerdPid(): Promise<number>;
}

async function must(host: NetnsHost, cmd: string): Promise<string> {
  const r = await host.exec(cmd);
  if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

export async function installSetupShims(host: NetnsHost, opts: { systemd?: boolean } = {}): Promise<SetupHostShims> {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  await must(host, ': > /root/.bashrc');
  await must(host, `echo ${b64(DOCKER_SHIM)} | base64 -d > /usr/local/sbin/docker && chmod 755 /usr/local/sbin/docker`);
  if (opts.systemd !== false) {
    await must(
      host,
      `echo ${b64(SYSTEMCTL_SHIM)} | base64 -d > /usr/local/sbin/systemctl && chmod 755 /usr/local/sbin/systemctl && mkdir -p /run/systemd/system`,
    );
  }
  return {
    dockerCalls: async () =>
      (await host.exec('cat /var/log/dkh-docker-calls.log 2>/dev/null')).stdout.split('\n').filter(Boolean),
    clearDockerCalls: async () => void (await must(host, ': > /var/log/dkh-docker-calls.log')),
    failDocker: async (sub) => void (await must(host, `printf %s '${sub}' > /etc/dkh-fail-docker`)),
    clearFailure: async () => void (await must(host, 'rm -f /etc/dkh-fail-docker')),
    dockerdPid: async () => {
      const out = await must(
        host,
        'me=$(readlink /proc/self/ns/mnt); for p in $(pgrep -x dockerd); do [ "$(readlink /proc/$p/ns/mnt)" = "$me" ] && echo $p && break; done',
      );
      return Number(out.trim());
    },
  };
}
