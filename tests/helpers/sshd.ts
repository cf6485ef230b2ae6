import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from './wait.js';

export interface SshdHandle {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly dir: string;
  readonly clientKey: string;
  readonly hostKeyFingerprint: string;
  readonly pid: number;
  /** "Accepted publickey" lines in the log: how many connections authenticated. */
  acceptedConnections(): number;
  log(): string;
  /** Kills the per-connection sshd processes, dropping every open connection while the daemon keeps listening. */
  dropConnections(): void;
  /** Replaces the host key and restarts the daemon on the same port (a rebuilt server). */
  rotateHostKey(): Promise<string>;
  stop(): Promise<void>;
}

const SSHD = '/usr/sbin/sshd';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function fingerprintOf(pubFile: string): string {
  return execFileSync('ssh-keygen', ['-lf', pubFile], { encoding: 'utf8' }).split(' ')[1] ?? '';
}

/** True once something on the port sends its first bytes (sshd's banner). */
function answers(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('data', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.setTimeout(500, () => {
      s.destroy();
      resolve(false);
    });
  });
}

/**
 * Starts a real OpenSSH sshd on 127.0.0.1 with throwaway host and client keys. Fails loudly when sshd is
 * missing: a suite that silently tests nothing is a defect (CI installs openssh-server in .ci/run).
 */
export async function startSshd(opts: { extraConfig?: string } = {}): Promise<SshdHandle> {
  if (!fs.existsSync(SSHD)) {
    throw new Error(
      `${SSHD} not found: install openssh-server (apt-get install -y openssh-server); .ci/run does this.`,
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-sshd-'));
  const hostKey = path.join(dir, 'hostkey');
  const clientKey = path.join(dir, 'clientkey');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey]);
  fs.copyFileSync(`${clientKey}.pub`, path.join(dir, 'authorized_keys'));
  fs.chmodSync(path.join(dir, 'authorized_keys'), 0o600);
  fs.mkdirSync('/run/sshd', { recursive: true });
  const port = await freePort();
  const logFile = path.join(dir, 'sshd.log');
  const extraLines = (opts.extraConfig ?? '').split('\n').map((l) => l.trim());
  fs.writeFileSync(
    path.join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      // bash sources ~/.bashrc for sshd sessions only at shell level 1; this machine's root .bashrc runs pyenv, whose
      // rehash lock stalls sessions for up to 60 s under load. A fresh server has no such .bashrc.
      // sshd keeps only the first SetEnv line: the caller's variables join this one.
      ['SetEnv SHLVL=1', ...extraLines.filter((l) => /^SetEnv\s/.test(l)).map((l) => l.replace(/^SetEnv\s+/, ''))].join(
        ' ',
      ),
      'MaxSessions 20',
      'MaxStartups 100:30:200',
      'LogLevel INFO',
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      ...extraLines.filter((l) => !/^SetEnv\s/.test(l)),
    ].join('\n') + '\n',
  );
  let child: ChildProcess;
  const start = async () => {
    child = spawn(SSHD, ['-D', '-f', path.join(dir, 'sshd_config'), '-E', logFile], { stdio: 'ignore' });
    await waitFor(() => answers(port), `sshd to answer on port ${port}`, 10_000, 50);
  };
  await start();
  let fp = fingerprintOf(`${hostKey}.pub`);
  const handle: SshdHandle = {
    host: '127.0.0.1',
    port,
    user: os.userInfo().username,
    dir,
    clientKey,
    get hostKeyFingerprint() {
      return fp;
    },
    get pid() {
      return child.pid ?? -1;
    },
    acceptedConnections: () =>
      fs.existsSync(logFile) ? (fs.readFileSync(logFile, 'utf8').match(/Accepted publickey/g)?.length ?? 0) : 0,
    log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''),
    dropConnections() {
      try {
        execFileSync('pkill', ['-KILL', '-P', String(child.pid)]);
      } catch {
        // pkill exits 1 when there was nothing to kill
      }
    },
    async rotateHostKey() {
      await stopChild();
      fs.rmSync(hostKey);
      fs.rmSync(`${hostKey}.pub`);
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
      fp = fingerprintOf(`${hostKey}.pub`);
      await start();
      return fp;
    },
    async stop() {
      handle.dropConnections();
      await stopChild();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  const stopChild = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  return handle;
}
