// ssh/exec.ts's run(): the one way deckhand runs a command it waits for. A timeout or an abort must kill the remote
// command and everything it started, which is checked over a second, independent OpenSSH connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshPool } from '../../src/ssh/pool.js';
import { run } from '../../src/ssh/exec.js';
import type { ServerRecord } from '../../src/servers/types.js';
import { remoteProcessCount, uniqueSleep } from '../helpers/openssh.js';
import { waitFor } from '../helpers/wait.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

describe('run() over a pooled connection', () => {
  let sshd: SshdHandle;
  let pool: SshPool;
  let server: ServerRecord;

  beforeAll(async () => {
    sshd = await startSshd();
    pool = new SshPool({ connectTimeoutMs: 10_000, keepaliveIntervalMs: 15_000, env: {} });
    server = {
      name: 'box',
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      auth: { private_key_path: sshd.clientKey },
      host_key_fingerprint: sshd.hostKeyFingerprint,
      labels: {},
      added_at: new Date().toISOString(),
    };
  });
  afterAll(async () => {
    await pool?.close();
    await sshd?.stop();
  });

  it('collects stdout and stderr apart, passes stdin, and reports the exit code', async () => {
    const lease = await pool.acquire(server);
    try {
      const r = await run(lease.client, 'cat; echo oops >&2; exit 3', { timeoutMs: 10_000, stdin: 'from stdin\n' });
      expect(r).toMatchObject({ outcome: 'exited', code: 3, stdout: 'from stdin\n', stderr: 'oops\n' });
    } finally {
      lease.release();
    }
  });

  it('kills the whole remote process group on timeout, not just the channel', async () => {
    const n = uniqueSleep();
    const lease = await pool.acquire(server);
    try {
      const r = await run(lease.client, `sleep ${n} & sleep ${n + 1}`, { timeoutMs: 800 });
      expect(r.outcome).toBe('timeout');
      expect(r.killed).toBe(true);
    } finally {
      lease.release();
    }
    expect(remoteProcessCount(sshd, `sleep ${n}`)).toBe(0);
    expect(remoteProcessCount(sshd, `sleep ${n + 1}`)).toBe(0);
  });

  it('kills the remote process group when its signal aborts', async () => {
    const n = uniqueSleep();
    const lease = await pool.acquire(server);
    const ac = new AbortController();
    try {
      const pending = run(lease.client, `sleep ${n}`, { timeoutMs: 60_000, signal: ac.signal });
      await waitFor(() => remoteProcessCount(sshd, `sleep ${n}`) === 1, 'the command to start');
      ac.abort();
      const r = await pending;
      expect(r).toMatchObject({ outcome: 'cancelled', killed: true });
    } finally {
      lease.release();
    }
    expect(remoteProcessCount(sshd, `sleep ${n}`)).toBe(0);
  });
});
