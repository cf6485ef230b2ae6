import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'ssh2';
import { ulid } from 'ulid';
import { removeRemoteJobs } from '../../helpers/jobs.js';
import { startSshd, type SshdHandle } from '../../helpers/sshd.js';

/** Applets a busybox-only server has; with PATH holding only these, every `sh`, `stat`, `tail`… is busybox. */
const BUSYBOX_APPLETS = [
  'sh',
  'setsid',
  'nohup',
  'stat',
  'wc',
  'tail',
  'head',
  'mkdir',
  'mkfifo',
  'rm',
  'sleep',
  'grep',
  'find',
  'dirname',
  'cat',
  'env',
  'true',
  'echo',
  'pgrep',
  'ps',
];

export interface TargetOptions {
  /**
   * A login shell that takes 0.2 s to start, as a heavy ~/.bashrc does. bash reads BASH_ENV in every non-interactive
   * shell, but a real .bashrc is read only by the shell sshd starts (bash's own rule for sshd sessions), so the file
   * pays, and counts itself in `shells`, only when its parent is sshd.
   */
  readonly slowShell?: boolean;
  /** PATH holds only busybox applets (no bash): the agent, the runner and the command all run busybox sh. */
  readonly busybox?: boolean;
  readonly extraConfig?: string;
}

export interface Target {
  readonly sshd: SshdHandle;
  /** HOME on the target: job directories live under it. */
  readonly home: string;
  /** Login shells sshd has started (slowShell only). */
  shells(): number;
  /** Re-exports RC_MARK from the login shell's start-up file with a new value (slowShell only). */
  setRcMark(value: string): void;
  connect(): Promise<Client>;
  newId(): string;
  jobDir(id: string): string;
  stop(): Promise<void>;
}

export async function startTarget(o: TargetOptions = {}): Promise<Target> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-agent-target-'));
  const aux = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-agent-aux-'));
  const counter = path.join(aux, 'shells');
  const rc = path.join(aux, 'slow.sh');
  const writeRc = (mark: string) =>
    fs.writeFileSync(
      rc,
      [
        'read -r p_ < /proc/$PPID/comm',
        'case $p_ in sshd*)',
        `  echo "$$" >> ${counter}; sleep 0.2`,
        `  export RC_MARK=${mark} PATH="$PATH:${aux}/rc-bin" ;;`,
        'esac',
        '',
      ].join('\n'),
    );
  const env = [`HOME=${home}`];
  if (o.slowShell) {
    writeRc('first');
    env.push(`BASH_ENV=${rc}`);
  }
  if (o.busybox) {
    if (!fs.existsSync('/bin/busybox')) throw new Error('/bin/busybox not found: apt-get install -y busybox-static');
    const bin = path.join(aux, 'busybox-bin');
    fs.mkdirSync(bin);
    for (const a of BUSYBOX_APPLETS) fs.symlinkSync('/bin/busybox', path.join(bin, a));
    env.push(`PATH=${bin}`);
  }
  const sshd = await startSshd({ extraConfig: [`SetEnv ${env.join(' ')}`, o.extraConfig ?? ''].join('\n') });
  const ids: string[] = [];
  const clients: Client[] = [];
  return {
    sshd,
    home,
    shells: () => (fs.existsSync(counter) ? fs.readFileSync(counter, 'utf8').split('\n').filter(Boolean).length : 0),
    setRcMark: (mark) => writeRc(mark),
    async connect() {
      const c = new Client();
      clients.push(c);
      await new Promise<void>((resolve, reject) => {
        c.once('ready', () => resolve())
          .once('error', reject)
          .connect({
            host: sshd.host,
            port: sshd.port,
            username: sshd.user,
            privateKey: fs.readFileSync(sshd.clientKey),
          });
      });
      // As deckhand's pool does: without it each small frame can wait for a delayed ACK.
      c.setNoDelay(true);
      return c;
    },
    newId() {
      const id = `job_${ulid()}`;
      ids.push(id);
      return id;
    },
    jobDir: (id) => path.join(home, '.deckhand', 'jobs', id),
    async stop() {
      for (const c of clients) c.end();
      await sshd.stop();
      removeRemoteJobs(home, ids);
      fs.rmSync(home, { recursive: true, force: true });
      fs.rmSync(aux, { recursive: true, force: true });
    },
  };
}

/** Everything a follow delivered, as text, with the events in order. */
export interface Collected {
  stdout: string;
  stderr: string;
  events: string[];
}

export function collector(): {
  got: Collected;
  onEvent: (e: import('../../../src/remote-bash/frames.js').FrameEvent) => void;
} {
  const got: Collected = { stdout: '', stderr: '', events: [] };
  return {
    got,
    onEvent(e) {
      if (e.type === 'data') got[e.stream] += e.chunk.toString('utf8');
      else got.events.push(e.type === 'pid' ? 'pid' : e.type === 'exit' ? `exit ${e.status}` : `lost ${e.reason}`);
    },
  };
}
