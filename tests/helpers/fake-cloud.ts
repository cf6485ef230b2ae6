// The fake Hetzner API plus "machines" behind it: each server deckhand creates gets a real OpenSSH sshd on its own
// loopback address (127.x.y.z:22, as a cloud server answers on port 22), started when the fake has recorded the create.
//
// What is simulated, and how: the fake does not run cloud-init, so this helper plays its part. It reads the user_data of
// the create request the fake received, installs the ed25519 host key found there as the sshd's only host key
// (as cloud-init's ssh_keys / ssh_deletekeys do), and authorizes the SSH keys the request named (as Hetzner does).
// With `cloudInit: 'ignored'` the machine keeps a host key of its own instead: an image that ignores cloud-init,
// or someone else answering at that address. Sessions run as root on this machine (there is no VM).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { startFakeHetzner, type FakeHetzner, type FakeHetznerOptions } from './fake-hetzner/index.js';
import type { FakeServer } from './fake-hetzner/state.js';

export interface FakeMachine {
  serverId: number;
  ip: string;
  dir: string;
  /** SHA256:... of the host key the sshd presents. */
  hostKeyFingerprint: string;
  /** The public key written in the create request's user_data (undefined when there was none). */
  injectedPublicKey: string | undefined;
  ready: Promise<void>;
  log(): string;
  stop(): Promise<void>;
}

export interface FakeCloud {
  fake: FakeHetzner;
  /** Machines by server name. */
  machines: Map<string, FakeMachine>;
  /** Errors while booting a machine; tests assert it stays empty. */
  bootErrors: unknown[];
  close(): Promise<void>;
}

export interface FakeCloudOptions extends Omit<FakeHetznerOptions, 'ipForServer'> {
  /** 'applied' (default): the machine takes the host key from user_data. 'ignored': it keeps its own. */
  cloudInit?: (name: string) => 'applied' | 'ignored';
}

const SSHD = '/usr/sbin/sshd';
// One /16 of loopback per helper instance, so test files running in parallel never share an address.
const NET = `127.${randomInt(64, 250)}.${randomInt(0, 250)}`;

export async function startFakeCloud(opts: FakeCloudOptions = {}): Promise<FakeCloud> {
  if (!fs.existsSync(SSHD)) throw new Error(`${SSHD} not found: apt-get install -y openssh-server (.ci/run does this)`);
  let next = 1;
  const ips = new Map<string, string>();
  const fake = await startFakeHetzner({
    ...opts,
    ipForServer: (name) => {
      if (!ips.has(name)) ips.set(name, `${NET}.${next++}`);
      return ips.get(name) as string;
    },
  });
  const machines = new Map<string, FakeMachine>();
  const bootErrors: unknown[] = [];
  const reconcile = (): void => {
    for (const s of fake.state.servers.values()) {
      const m = machines.get(s.name);
      if (m && m.serverId === s.id) continue;
      if (m) void m.stop();
      try {
        const booted = boot(fake, s, opts.cloudInit?.(s.name) ?? 'applied');
        booted.ready.catch((err: unknown) => bootErrors.push(err));
        machines.set(s.name, booted);
      } catch (err) {
        bootErrors.push(err);
      }
    }
    for (const [name, m] of machines) {
      if (!fake.state.servers.has(m.serverId)) {
        machines.delete(name);
        void m.stop();
      }
    }
  };
  // Runs before each request the fake routes: the machine "boots" right after the fake has recorded the create.
  fake.state.beforeRoute = () => reconcile();
  return {
    fake,
    machines,
    bootErrors,
    async close() {
      fake.state.beforeRoute = undefined;
      await Promise.all([...machines.values()].map((m) => m.stop()));
      machines.clear();
      await fake.close();
    },
  };
}

function boot(fake: FakeHetzner, s: FakeServer, cloudInit: 'applied' | 'ignored'): FakeMachine {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-machine-'));
  const hostKey = path.join(dir, 'hostkey');
  const cfg = s.userData ? (parse(s.userData) as { ssh_keys?: Record<string, string> }) : undefined;
  const injected = cfg?.ssh_keys;
  if (cloudInit === 'applied' && injected?.ed25519_private && injected.ed25519_public) {
    fs.writeFileSync(hostKey, injected.ed25519_private, { mode: 0o600 });
    fs.writeFileSync(`${hostKey}.pub`, `${injected.ed25519_public}\n`);
  } else {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  }
  const keys = s.sshKeyIds.map((id) => fake.state.sshKeys.get(id)?.publicKey ?? '').filter(Boolean);
  fs.writeFileSync(path.join(dir, 'authorized_keys'), keys.join('\n') + '\n', { mode: 0o600 });
  const fingerprint = execFileSync('ssh-keygen', ['-lf', `${hostKey}.pub`], { encoding: 'utf8' }).split(' ')[1] ?? '';
  fs.mkdirSync('/run/sshd', { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'sshd_config'),
    [
      'Port 22',
      `ListenAddress ${s.ipv4}`,
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      'MaxStartups 100:30:200',
      // This machine's root .bashrc runs pyenv, whose rehash lock can stall a session for 60 s. bash sources .bashrc
      // for sshd sessions only at shell level 1: starting sessions at SHLVL=1 keeps them as quick as on a server.
      'SetEnv SHLVL=1',
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      '',
    ].join('\n'),
  );
  const logFile = path.join(dir, 'sshd.log');
  const child: ChildProcess = spawn(SSHD, ['-D', '-f', path.join(dir, 'sshd_config'), '-E', logFile], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    // sshd -D writes "Server listening on ..." once bound; poll its log with a deadline.
    const until = Date.now() + 10_000;
    const check = (): void => {
      const text = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
      if (/Server listening on/.test(text)) return resolve();
      if (child.exitCode !== null || Date.now() > until)
        return reject(new Error(`sshd for ${s.name} did not start:\n${text}`));
      setTimeout(check, 20);
    };
    check();
  });
  let stopping: Promise<void> | undefined;
  return {
    serverId: s.id,
    ip: s.ipv4,
    dir,
    hostKeyFingerprint: fingerprint,
    injectedPublicKey: injected?.ed25519_public,
    ready,
    log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''),
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          try {
            execFileSync('pkill', ['-KILL', '-P', String(child.pid)]);
          } catch {
            // nothing to kill
          }
          child.kill('SIGTERM');
          await exited;
        }
        fs.rmSync(dir, { recursive: true, force: true });
      })()),
  };
}
