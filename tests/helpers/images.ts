// Local images for deploy tests, built without any registry: a busybox base imported from the busybox-static binary,
// and stand-ins with the same service shape as catalogue apps (traefik/whoami, traefik). All idempotent.
// Caveat: Debian's busybox-static 1.35 `wget -T <secs>` segfaults (exit 139); health checks must rely on Docker's own
// timeout instead. Names resolve (hosts file and the engine's DNS) with plain `wget -qO- http://name/`.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ExecResult, must, run, shQuote, sysEnv, TMP_BASE } from './netns-host-sys.js';

export type ExecFn = (cmd: string) => Promise<ExecResult>;
/**
 * Where `docker` runs: an engine socket (path or unix:// URL; the CLI runs here with DOCKER_HOST), a shell exec function
 * (e.g. NetnsHost.exec), or an object with either (a NetnsHost). It must share this machine's filesystem: build contexts
 * and the rootfs tar are written under /tmp.
 */
export type DockerTarget = string | ExecFn | { exec: ExecFn; dockerSock?: string };

export const LOCAL_IMAGES = {
  busybox: 'local/busybox:1',
  whoami: 'local/whoami:1',
  traefik: 'local/traefik:1',
} as const;

const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const BUSYBOX = '/bin/busybox';

export interface LocalImageSpec {
  tag: string;
  dockerfile: string;
  /** Build context files: path → content (mode 0644) or {content, mode}. */
  files?: Record<string, string | { content: string; mode: number }>;
}

function toExec(target: DockerTarget): ExecFn {
  if (typeof target === 'function') return target;
  const sock = typeof target === 'string' ? target : target.dockerSock;
  if (sock) {
    const env = sysEnv({ DOCKER_HOST: sock.startsWith('unix://') ? sock : `unix://${sock}` });
    return (cmd) => run('sh', ['-c', cmd], { env, timeoutMs: 180_000 });
  }
  if (typeof target === 'object') return target.exec;
  throw new Error('DockerTarget: give a docker socket, an exec function or a host');
}

async function sh(exec: ExecFn, cmd: string): Promise<string> {
  const r = await exec(cmd);
  if (r.code !== 0) throw new Error(`${cmd} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

export async function imageExists(target: DockerTarget, tag: string): Promise<boolean> {
  return (await toExec(target)(`docker image inspect ${shQuote(tag)} >/dev/null 2>&1`)).code === 0;
}

function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(TMP_BASE, 'dkhns-img-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/**
 * `docker import`s a root filesystem made of /bin/busybox (busybox-static) and its applet links, with /etc/passwd,
 * /etc/group and PATH set. Returns the tag. Skips the work when the tag exists.
 */
export async function importBusyboxImage(target: DockerTarget, tag: string = LOCAL_IMAGES.busybox): Promise<string> {
  const exec = toExec(target);
  if (await imageExists(exec, tag)) return tag;
  return withTempDir(async (dir) => {
    const root = join(dir, 'rootfs');
    for (const d of [
      'bin',
      'sbin',
      'usr/bin',
      'usr/sbin',
      'usr/local/bin',
      'etc',
      'root',
      'proc',
      'sys',
      'dev',
      'run',
      'var/www',
    ])
      mkdirSync(join(root, d), { recursive: true });
    mkdirSync(join(root, 'tmp'), { mode: 0o1777 });
    chmodSync(join(root, 'tmp'), 0o1777);
    copyFileSync(BUSYBOX, join(root, 'bin/busybox'));
    chmodSync(join(root, 'bin/busybox'), 0o755);
    for (const applet of (await must(BUSYBOX, ['--list-full'])).split('\n').filter(Boolean)) {
      if (applet === 'bin/busybox') continue;
      mkdirSync(dirname(join(root, applet)), { recursive: true });
      symlinkSync('/bin/busybox', join(root, applet));
    }
    writeFileSync(
      join(root, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
    );
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    const tar = join(dir, 'rootfs.tar');
    await must('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', root, '-cf', tar, '.']);
    const changes = [`ENV PATH=${IMAGE_PATH}`, 'CMD ["sh"]'].map((c) => `--change ${shQuote(c)}`).join(' ');
    await sh(exec, `docker import ${changes} ${shQuote(tar)} ${shQuote(tag)}`);
    return tag;
  });
}

const WHOAMI_ENTRYPOINT = `#!/bin/sh
# Stand-in for traefik/whoami: GET / answers 200 with the container's hostname and IPs, GET /health answers OK.
port="\${WHOAMI_PORT_NUMBER:-80}"
while [ $# -gt 0 ]; do
  case "$1" in --port=*) port="\${1#--port=}" ;; --port | -port) port="$2"; shift ;; esac
  shift
done
mkdir -p /www
{ echo "Hostname: $(hostname)"; for ip in $(hostname -i 2>/dev/null); do echo "IP: $ip"; done; } > /www/index.html
echo OK > /www/health
exec httpd -f -p "$port" -h /www
`;

const TRAEFIK_ENTRYPOINT = `#!/bin/sh
# Like the real image's: flags or a subcommand as first argument run traefik.
case "$1" in -* | healthcheck | version) set -- traefik "$@" ;; esac
[ $# -eq 0 ] && set -- traefik
exec "$@"
`;

const TRAEFIK_BIN = `#!/bin/sh
# Stand-in for traefik with the same service shape but no routing: ignores its flags, serves 200 over plain HTTP on
# :80 and :443, /ping answers OK (like --ping), \`traefik healthcheck\` probes it.
case "$1" in
  healthcheck) wget -qO- http://127.0.0.1/ping >/dev/null; exit $? ;;
  version) echo "Version: 0.0.0-local-standin"; exit 0 ;;
esac
mkdir -p /www
echo 'traefik stand-in' > /www/index.html
echo OK > /www/ping
httpd -f -p 80 -h /www &
exec httpd -f -p 443 -h /www
`;

/** The built-in stand-ins; health checks are short so services converge in seconds. */
export const STANDIN_SPECS: Record<'whoami' | 'traefik', LocalImageSpec> = {
  whoami: {
    tag: LOCAL_IMAGES.whoami,
    files: { 'entrypoint.sh': { content: WHOAMI_ENTRYPOINT, mode: 0o755 } },
    dockerfile: `FROM ${LOCAL_IMAGES.busybox}
COPY entrypoint.sh /entrypoint.sh
EXPOSE 80
HEALTHCHECK --interval=2s --timeout=2s --start-period=2s --retries=3 CMD wget -qO- "http://127.0.0.1:\${WHOAMI_PORT_NUMBER:-80}/" >/dev/null || exit 1
ENTRYPOINT ["/entrypoint.sh"]
`,
  },
  traefik: {
    tag: LOCAL_IMAGES.traefik,
    files: {
      'root/entrypoint.sh': { content: TRAEFIK_ENTRYPOINT, mode: 0o755 },
      'root/usr/local/bin/traefik': { content: TRAEFIK_BIN, mode: 0o755 },
    },
    dockerfile: `FROM ${LOCAL_IMAGES.busybox}
COPY root/ /
EXPOSE 80 443
HEALTHCHECK --interval=2s --timeout=2s --start-period=2s --retries=3 CMD traefik healthcheck
ENTRYPOINT ["/entrypoint.sh"]
CMD ["traefik"]
`,
  },
};

/**
 * Builds a local image FROM local/busybox:1 (imported first if missing) with the legacy builder, which resolves FROM
 * against local images without a registry. `spec` is 'whoami', 'traefik' or your own. Returns the tag; skips existing.
 */
export async function buildLocalImage(
  target: DockerTarget,
  spec: 'whoami' | 'traefik' | LocalImageSpec,
  tag?: string,
): Promise<string> {
  const s = typeof spec === 'string' ? STANDIN_SPECS[spec] : spec;
  const finalTag = tag ?? s.tag;
  const exec = toExec(target);
  if (await imageExists(exec, finalTag)) return finalTag;
  await importBusyboxImage(exec);
  return withTempDir(async (ctx) => {
    writeFileSync(join(ctx, 'Dockerfile'), s.dockerfile);
    for (const [path, f] of Object.entries(s.files ?? {})) {
      const file = typeof f === 'string' ? { content: f, mode: 0o644 } : f;
      mkdirSync(dirname(join(ctx, path)), { recursive: true });
      writeFileSync(join(ctx, path), file.content, { mode: file.mode });
      chmodSync(join(ctx, path), file.mode);
    }
    await sh(exec, `DOCKER_BUILDKIT=0 docker build -q -t ${shQuote(finalTag)} ${shQuote(ctx)}`);
    return finalTag;
  });
}

/**
 * A `docker save` of the three images, shared by every engine on this machine (legacy builds cost seconds per step on
 * vfs; a load takes a fraction of a second). Keyed by busybox, this file and the specs, so any change rebuilds.
 */
export function imageCachePath(): string {
  const h = createHash('sha256')
    .update(readFileSync(BUSYBOX))
    .update(readFileSync(fileURLToPath(import.meta.url)))
    .update(JSON.stringify([LOCAL_IMAGES, STANDIN_SPECS, IMAGE_PATH]));
  return join(TMP_BASE, `dkhns-imagecache-${h.digest('hex').slice(0, 16)}.tar`);
}

/**
 * local/busybox:1, local/whoami:1 and local/traefik:1 on the engine: kept if there, else loaded from the machine-wide
 * cache, else built (and cached). `rebuild: true` skips the cache read (the build refreshes it).
 */
export async function ensureLocalImages(
  target: DockerTarget,
  opts: { rebuild?: boolean } = {},
): Promise<typeof LOCAL_IMAGES> {
  const exec = toExec(target);
  const tags = Object.values(LOCAL_IMAGES);
  const allThere = async (): Promise<boolean> =>
    (await Promise.all(tags.map((t) => imageExists(exec, t)))).every(Boolean);
  if (!opts.rebuild && (await allThere())) return LOCAL_IMAGES;
  const cache = imageCachePath();
  if (!opts.rebuild && existsSync(cache) && (await exec(`docker load -q -i ${shQuote(cache)}`)).code === 0)
    if (await allThere()) return LOCAL_IMAGES;
  if (opts.rebuild) await exec(`docker image rm -f ${tags.map(shQuote).join(' ')} >/dev/null 2>&1`);
  await importBusyboxImage(exec);
  await Promise.all([buildLocalImage(exec, 'whoami'), buildLocalImage(exec, 'traefik')]);
  const tmp = `${cache}.${process.pid}.tmp`;
  const saved = await exec(`docker save -o ${shQuote(tmp)} ${tags.map(shQuote).join(' ')}`);
  if (saved.code === 0)
    renameSync(tmp, cache); // atomic: parallel workers never see a partial tar
  else rmSync(tmp, { force: true });
  return LOCAL_IMAGES;
}
