import { DeckhandError } from '../errors.js';
import { commandFailed } from '../ssh/remote-shell.js';
import { SETUP_RECORD_PATH, type CheckResult, type SetupRecord, type SetupStep, type StepContext } from './types.js';

const FACTS_SCRIPT = `
printf 'user=%s\\nuid=%s\\n' "$(id -un)" "$(id -u)"
if [ -r /etc/os-release ]; then . /etc/os-release; fi
printf 'os_id=%s\\nos_version=%s\\nos_name=%s\\n' "$ID" "$VERSION_ID" "$PRETTY_NAME"
printf 'arch=%s\\n' "$(uname -m)"
printf 'ssh_ip=%s\\n' "$(echo "$SSH_CONNECTION" | awk '{print $3}')"
if [ "$(id -u)" != 0 ]; then if sudo -n true >/dev/null 2>&1; then echo sudo=yes; else echo sudo=no; fi; fi
command -v apt-get >/dev/null 2>&1 && echo apt=yes
[ -d /run/systemd/system ] && echo systemd=yes
true`;

function parseKv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** OS, architecture and privileges; also reads the record of an earlier setup. Never changes anything. */
export const factsStep: SetupStep = {
  name: 'facts',
  async check(c: StepContext): Promise<CheckResult> {
    const r = await c.shell.runAsLogin(FACTS_SCRIPT);
    if (r.code !== 0) throw commandFailed('reading the server facts', r);
    const kv = parseKv(r.stdout);
    const uid = Number(kv.uid);
    c.facts = {
      user: kv.user ?? '?',
      uid,
      sudo: uid !== 0,
      os_id: kv.os_id ?? '',
      os_version: kv.os_version ?? '',
      os_name: kv.os_name ?? '',
      arch: kv.arch ?? '',
      ssh_ip: kv.ssh_ip ?? '',
      apt: kv.apt === 'yes',
      systemd: kv.systemd === 'yes',
    };
    if (uid !== 0 && kv.sudo !== 'yes') {
      throw new DeckhandError('needs_root', `User "${c.facts.user}" is not root and has no passwordless sudo.`, {
        hint: 'Register the server with user root, or allow this user passwordless sudo (a line "USER ALL=(ALL) NOPASSWD:ALL" in /etc/sudoers.d/).',
      });
    }
    c.shell.sudo = uid !== 0;
    const prev = await c.shell.run(`cat ${SETUP_RECORD_PATH} 2>/dev/null || true`);
    try {
      c.previous = prev.stdout.trim() ? (JSON.parse(prev.stdout) as SetupRecord) : undefined;
    } catch {
      c.note(`${SETUP_RECORD_PATH} is not valid JSON; it will be rewritten`);
    }
    const via = uid === 0 ? 'root' : `${c.facts.user} with sudo`;
    return { ok: true, detail: `${c.facts.os_name || c.facts.os_id || 'unknown OS'}, ${c.facts.arch}, as ${via}` };
  },
};

const BOOT_CHECK = `
st=absent
if command -v cloud-init >/dev/null 2>&1; then st=$(cloud-init status 2>/dev/null | awk '/^status:/{print $2}'); fi
busy=$(pgrep -x 'apt|apt-get|dpkg|unattended-upgr|aptitude' 2>/dev/null | wc -l)
echo "cloud_init=\${st:-unknown} package_managers=$busy"`;

const BOOT_WAIT = `
if command -v cloud-init >/dev/null 2>&1; then cloud-init status --wait >/dev/null 2>&1 || true; fi
i=0
while pgrep -x 'apt|apt-get|dpkg|unattended-upgr|aptitude' >/dev/null 2>&1; do
  i=$((i+1)); if [ $i -gt 600 ]; then echo "package managers still running after 10 minutes" >&2; exit 1; fi
  sleep 1
done`;

/** cloud-init must be done (it may still be installing packages) and no apt/dpkg may hold the lock. */
export const waitForBootStep: SetupStep = {
  name: 'wait-for-boot',
  async check(c) {
    const r = await c.shell.run(BOOT_CHECK);
    const kv = parseKv(r.stdout.replace(/ /g, '\n'));
    const cloudInit = kv.cloud_init ?? 'unknown';
    const busy = Number(kv.package_managers ?? '0');
    const settled = ['absent', 'done', 'disabled', 'error', 'degraded'].includes(cloudInit);
    return {
      ok: settled && busy === 0,
      detail: `cloud-init ${cloudInit}, ${busy} package manager process(es) running`,
    };
  },
  async apply(c) {
    const started = Date.now();
    await c.shell.must(BOOT_WAIT, 'waiting for cloud-init and the dpkg lock', { timeoutMs: 25 * 60_000 });
    return { detail: `waited ${Math.round((Date.now() - started) / 1000)} s`, changed: false };
  },
};

export const BASE_PACKAGES = ['ca-certificates', 'curl', 'gnupg'] as const;

/** What the Docker install needs: TLS roots, curl and gnupg, installed with apt where missing. */
export const basePackagesStep: SetupStep = {
  name: 'base-packages',
  async check(c) {
    if (!c.facts.apt) {
      const r = await c.shell.run(
        'command -v curl >/dev/null && [ -s /etc/ssl/certs/ca-certificates.crt ] && echo ok || true',
      );
      return {
        ok: r.stdout.trim() === 'ok',
        detail:
          r.stdout.trim() === 'ok'
            ? 'curl and CA certificates present (no apt)'
            : 'curl or CA certificates missing (no apt)',
      };
    }
    const r = await c.shell.run(
      `for p in ${BASE_PACKAGES.join(' ')}; do dpkg-query -W -f='\${Status}\\n' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"; done`,
    );
    const missing = r.stdout.split('\n').filter(Boolean);
    return {
      ok: missing.length === 0,
      detail: missing.length ? `missing: ${missing.join(' ')}` : `${BASE_PACKAGES.join(', ')} installed`,
    };
  },
  async apply(c, found) {
    if (!c.facts.apt) {
      throw new DeckhandError(
        'unsupported_os',
        `${c.facts.os_name || 'This OS'} has no apt: deckhand cannot install curl and CA certificates here.`,
        {
          hint: 'Install curl and ca-certificates yourself, then run setup-server again.',
        },
      );
    }
    const missing = found.detail.replace(/^missing: /, '');
    await c.shell.must(
      `export DEBIAN_FRONTEND=noninteractive; apt-get -o DPkg::Lock::Timeout=600 update -q && ` +
        `apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends ${missing}`,
      `apt-get install ${missing}`,
      { timeoutMs: 20 * 60_000 },
    );
    return { detail: `installed ${missing}` };
  },
};
