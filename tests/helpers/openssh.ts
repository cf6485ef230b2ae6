// The OpenSSH side channel: a second, plain `ssh` connection to a test sshd, independent of deckhand's own, to look at
// the target as an operator would (is the remote process still there?). Needs openssh-client (requirements.ts).
import { execFile, execFileSync } from 'node:child_process';

/** What the side channel needs of a target: a loopback sshd (sshd.ts) and the client key it accepts. */
export interface SshTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly clientKey: string;
}

/** A command on the target over plain OpenSSH; answers its stdout, throws on a non-zero exit. */
export function sshRun(target: SshTarget, command: string): string {
  return execFileSync(
    'ssh',
    [
      ...['-i', target.clientKey, '-p', String(target.port)],
      ...['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'],
      ...['-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes'],
      `${target.user}@${target.host}`,
      command,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
}

/** sshRun without blocking the test's event loop (a sampler running beside MCP clients of the same process). */
export function sshRunAsync(target: SshTarget, command: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      'ssh',
      [
        ...['-i', target.clientKey, '-p', String(target.port)],
        ...['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'],
        ...['-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes'],
        `${target.user}@${target.host}`,
        command,
      ],
      { encoding: 'utf8', timeout: 30_000 },
      (err, stdout) => (err ? reject(err) : resolve(stdout)),
    ),
  );
}

/** How many processes on the target have exactly this command line (unique `sleep N` markers, see uniqueSleep). */
export function remoteProcessCount(target: SshTarget, marker: string): number {
  return Number(sshRun(target, `pgrep -fc '^${marker}$' || true`).trim() || '0');
}

/** A sleep duration nobody else on the machine uses, as a marker for pgrep. */
export function uniqueSleep(): number {
  return 100_000 + Math.floor(Math.random() * 800_000);
}

/**
 * TCP connections process `pid` still holds to `port` on loopback, in any state (ss -tnp): 0 once it has seen them
 * dropped and closed its side. Tests wait on this instead of giving a client some time to notice.
 */
export function connectionsOf(pid: number, port: number): number {
  return socketsOf(pid, port).length;
}

/** The local addresses (ip:port) of the process's TCP sockets to 127.0.0.1:port, one per connection. */
export function socketsOf(pid: number, port: number): string[] {
  const out = execFileSync('ss', ['-Htnp', 'state', 'all', 'dst', `127.0.0.1:${port}`], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(`pid=${pid},`))
    .map(
      (l) =>
        l
          .trim()
          .split(/\s+/)
          .find((f) => /^127\.0\.0\.1:\d+$/.test(f) && f !== `127.0.0.1:${port}`) ?? l,
    );
}
