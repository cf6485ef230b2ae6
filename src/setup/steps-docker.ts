import { PUBLIC_NETWORK } from '../apps/index.js';
import { DeckhandError } from '../errors.js';
import { shQuote } from '../ssh/shell.js';
import type { SetupStep } from './types.js';

const DOCKER_VERSION = `docker version --format '{{.Server.Version}}' 2>/dev/null`;

// Docker's own apt repository, as docs.docker.com/engine/install/debian (and /ubuntu) describe it.
const INSTALL_DOCKER = `set -e
. /etc/os-release
case "$ID" in debian|ubuntu) ;; *) echo "deckhand installs Docker on Debian and Ubuntu only (this is $ID)" >&2; exit 3 ;; esac
codename="\${UBUNTU_CODENAME:-$VERSION_CODENAME}"
export DEBIAN_FRONTEND=noninteractive
install -m 0755 -d /etc/apt/keyrings
curl -fsSL --connect-timeout 20 --retry 3 "https://download.docker.com/linux/$ID/gpg" -o /etc/apt/keyrings/docker.asc
chmod a+r /etc/apt/keyrings/docker.asc
echo "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/$ID $codename stable" > /etc/apt/sources.list.d/docker.list
apt-get -o DPkg::Lock::Timeout=600 update -q
apt-get -o DPkg::Lock::Timeout=600 install -y -q docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin`;

const START_DOCKER = `if [ -d /run/systemd/system ]; then systemctl enable --now docker; fi
i=0; until ${DOCKER_VERSION} >/dev/null; do i=$((i+1)); if [ $i -gt 60 ]; then echo "the Docker daemon does not answer" >&2; exit 1; fi; sleep 1; done`;

/** Skipped when `docker version` answers; otherwise installed from Docker's apt repository and started. */
export const dockerEngineStep: SetupStep = {
  name: 'docker-engine',
  component: 'docker',
  async check(c) {
    const r = await c.shell.run(DOCKER_VERSION);
    const version = r.stdout.trim();
    if (r.code === 0 && version) {
      c.facts.docker_version = version;
      c.record.docker_version = version;
      return { ok: true, detail: `Docker ${version} answers` };
    }
    const cli = await c.shell.run('command -v dockerd >/dev/null 2>&1 && echo installed || echo missing');
    return {
      ok: false,
      detail:
        cli.stdout.trim() === 'installed'
          ? 'Docker is installed but its daemon does not answer'
          : 'Docker is not installed',
    };
  },
  async apply(c, found) {
    if (found.detail === 'Docker is not installed') {
      if (!c.facts.apt) {
        throw new DeckhandError(
          'unsupported_os',
          `Docker is not installed and ${c.facts.os_name || 'this OS'} has no apt.`,
          {
            hint: 'Install Docker Engine yourself (docs.docker.com/engine/install), then run setup-server again.',
          },
        );
      }
      c.progress('installing Docker Engine from download.docker.com');
      const r = await c.shell.run(INSTALL_DOCKER, { timeoutMs: 20 * 60_000 });
      if (r.code !== 0) {
        const tail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-4).join(' | ');
        throw new DeckhandError(
          'docker_install_failed',
          `Docker is not installed and installing it failed (exit ${r.code}): ${tail}`,
          {
            hint: 'The server must reach download.docker.com over HTTPS (check DNS, firewall, proxy); the full output is in the job log. Run setup-server again once fixed.',
          },
        );
      }
    }
    await c.shell.must(START_DOCKER, 'starting the Docker daemon', { timeoutMs: 5 * 60_000 });
    return {
      detail:
        found.detail === 'Docker is not installed'
          ? 'installed and started Docker Engine'
          : 'started the Docker daemon',
    };
  },
};

/** Log rotation for every container; other keys of daemon.json are left as they are. */
export const DAEMON_DEFAULTS = {
  'log-driver': 'json-file',
  'log-opts': { 'max-size': '10m', 'max-file': '3' },
} as const;

// The config file the running dockerd reads: its --config-file argument, else the default. Only a dockerd in this
// shell's own mount and network namespaces counts (a machine can run several, e.g. in containers).
const DAEMON_CONFIG = `f=/etc/docker/daemon.json
pid=
for p in $(pgrep -x dockerd 2>/dev/null); do
  if [ "$(readlink /proc/$p/ns/mnt)" = "$(readlink /proc/self/ns/mnt)" ] && [ "$(readlink /proc/$p/ns/net)" = "$(readlink /proc/self/ns/net)" ]; then pid=$p; break; fi
done
if [ -n "$pid" ]; then
  c=$(tr '\\0' '\\n' < /proc/$pid/cmdline | awk 'p{print;exit} $0=="--config-file"{p=1} /^--config-file=/{sub(/^--config-file=/,"");print;exit}')
  [ -n "$c" ] && f=$c
fi
echo "$f"
echo "driver=$(docker info --format '{{.LoggingDriver}}' 2>/dev/null)"
cat "$f" 2>/dev/null || true`;

type Json = Record<string, unknown>;

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Json)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The current file merged with deckhand's defaults; a log driver the user chose (other than json-file) is kept. */
export function mergeDaemonConfig(current: Json): Json {
  const driver = current['log-driver'];
  if (driver !== undefined && driver !== 'json-file') return current;
  const opts = (current['log-opts'] ?? {}) as Json;
  return { ...current, 'log-driver': 'json-file', 'log-opts': { ...DAEMON_DEFAULTS['log-opts'], ...opts } };
}

interface DaemonState {
  file: string;
  driver: string;
  current: Json;
  merged: Json;
}

async function readDaemonState(c: Parameters<SetupStep['check']>[0]): Promise<DaemonState> {
  const r = await c.shell.run(DAEMON_CONFIG);
  const [file = '/etc/docker/daemon.json', driverLine = '', ...rest] = r.stdout.split('\n');
  const text = rest.join('\n').trim();
  let current: Json = {};
  if (text) {
    try {
      current = JSON.parse(text) as Json;
    } catch {
      throw new DeckhandError('invalid_daemon_json', `${file} is not valid JSON.`, {
        hint: 'Fix or remove it by hand (dockerd refuses to start with it either), then run setup-server again.',
      });
    }
  }
  return { file, driver: driverLine.replace(/^driver=/, ''), current, merged: mergeDaemonConfig(current) };
}

const RESTART_DOCKER = `if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then systemctl restart docker
else echo "dockerd is not managed by systemd here: restart it yourself to apply the new daemon.json" >&2; exit 1; fi
i=0; until ${DOCKER_VERSION} >/dev/null; do i=$((i+1)); if [ $i -gt 90 ]; then echo "the Docker daemon does not answer after the restart" >&2; exit 1; fi; sleep 1; done`;

/** daemon.json merged with log rotation; dockerd restarted only when the file changed (or was never applied). */
export const daemonConfigStep: SetupStep = {
  name: 'docker-daemon-config',
  component: 'docker',
  async check(c) {
    const s = await readDaemonState(c);
    const fileOk = stable(s.current) === stable(s.merged);
    const wanted = String(s.merged['log-driver'] ?? 'json-file');
    const applied = s.driver === wanted;
    if (fileOk && applied) return { ok: true, detail: `${s.file} has log rotation; dockerd uses ${s.driver}` };
    return {
      ok: false,
      detail: fileOk
        ? `${s.file} is up to date but dockerd still uses ${s.driver || 'nothing'}: restart needed`
        : `${s.file} lacks ${Object.keys(DAEMON_DEFAULTS).join(', ')}`,
    };
  },
  async apply(c) {
    const s = await readDaemonState(c);
    if (stable(s.current) !== stable(s.merged)) {
      await c.shell.must(
        `[ -f ${shQuote(s.file)} ] && cp -p ${shQuote(s.file)} ${shQuote(`${s.file}.deckhand-bak`)} || true`,
        'backing up daemon.json',
      );
      await c.shell.writeFile(s.file, `${JSON.stringify(s.merged, null, 2)}\n`, '0644');
    }
    c.progress('restarting dockerd to apply daemon.json');
    await c.shell.must(RESTART_DOCKER, 'restarting dockerd', { timeoutMs: 3 * 60_000 });
    return { detail: `merged ${s.file} (backup beside it) and restarted dockerd` };
  },
};

/** `docker swarm init` unless this node already is a manager of an active swarm. */
export const swarmStep: SetupStep = {
  name: 'swarm',
  component: 'swarm',
  async check(c) {
    const r = await c.shell.run(
      `docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}' 2>/dev/null`,
      { timeoutMs: 120_000 },
    );
    const [state = '', manager = ''] = r.stdout.trim().split(' ');
    if (state === 'active' && manager === 'true') return { ok: true, detail: 'swarm active, this node is a manager' };
    if (state === 'active') {
      throw new DeckhandError(
        'swarm_worker',
        'This node is a worker of an existing swarm; setup-server needs a manager.',
        {
          hint: 'Run setup-server on a manager node, or leave the swarm first (docker swarm leave).',
        },
      );
    }
    if (state === 'pending' || state === 'error' || state === 'locked') {
      throw new DeckhandError('swarm_state', `The swarm on this node is ${state}.`, {
        hint: 'Fix it with docker swarm commands on the server, then run setup-server again.',
      });
    }
    return { ok: false, detail: `swarm ${state || 'unknown (Docker does not answer)'}` };
  },
  async apply(c) {
    const addr = c.facts.ssh_ip;
    await c.shell.must(`docker swarm init ${addr ? `--advertise-addr ${shQuote(addr)}` : ''}`, 'docker swarm init', {
      timeoutMs: 2 * 60_000,
    });
    return { detail: `swarm initialised${addr ? ` (advertise address ${addr})` : ''}` };
  },
};

/** The attachable overlay network Traefik and every app share. */
export const networkStep: SetupStep = {
  name: 'network',
  component: 'swarm',
  async check(c) {
    c.record.network = PUBLIC_NETWORK;
    const r = await c.shell.run(
      `docker network inspect ${PUBLIC_NETWORK} --format '{{.Driver}} {{.Attachable}} {{.Scope}}' 2>/dev/null`,
      { timeoutMs: 120_000 },
    );
    const found = r.stdout.trim();
    if (r.code === 0 && found === 'overlay true swarm')
      return { ok: true, detail: `${PUBLIC_NETWORK}: attachable overlay` };
    if (r.code === 0 && found) {
      throw new DeckhandError(
        'network_mismatch',
        `Network ${PUBLIC_NETWORK} exists but is "${found}", not an attachable swarm overlay.`,
        {
          hint: `Remove it (docker network rm ${PUBLIC_NETWORK}, after moving what uses it) and run setup-server again.`,
        },
      );
    }
    return { ok: false, detail: `${PUBLIC_NETWORK} missing` };
  },
  async apply(c) {
    await c.shell.must(
      `docker network create --driver overlay --attachable ${PUBLIC_NETWORK}`,
      `creating network ${PUBLIC_NETWORK}`,
    );
    return { detail: `created attachable overlay ${PUBLIC_NETWORK}` };
  },
};
