import { execFileSync } from 'node:child_process';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeckhandError } from '../../src/errors.js';
import type { ServerRecord } from '../../src/servers/types.js';
import { openExec, run } from '../../src/ssh/exec.js';
import { SshPool } from '../../src/ssh/pool.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';
import { waitFor } from '../helpers/wait.js';

function recordFor(t: { host: string; port: number; user: string }, key: string, fingerprint: string): ServerRecord {
  return {
    name: 'box',
    host: t.host,
    port: t.port,
    user: t.user,
    auth: { private_key_path: key },
    host_key_fingerprint: fingerprint,
    labels: {},
    added_at: new Date().toISOString(),
  };
}

const newPool = () => new SshPool({ connectTimeoutMs: 5000, keepaliveIntervalMs: 15_000, env: process.env });

/** Per-connection sshd processes: one per open SSH connection. */
function openConnections(sshd: SshdHandle): number {
  try {
    return execFileSync('pgrep', ['-P', String(sshd.pid)], { encoding: 'utf8' })
      .trim()
      .split('\n').length;
  } catch {
    return 0; // pgrep exits 1 when there is none
  }
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeckhandError);
  return (err as DeckhandError).code;
}

describe('SshPool against a real sshd', () => {
  let sshd: SshdHandle;
  let rec: ServerRecord;
  beforeAll(async () => {
    sshd = await startSshd();
    rec = recordFor(sshd, sshd.clientKey, sshd.hostKeyFingerprint);
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it('shares one connection, and a discarded one keeps serving the commands already on it', async () => {
    const pool = newPool();
    try {
      const a = await pool.acquire(rec);
      const b = await pool.acquire(rec);
      expect(b.connectionId).toBe(a.connectionId);
      expect(openConnections(sshd)).toBe(1);
      const running = run(a.client, 'sleep 1; echo survived', { timeoutMs: 10_000 });
      // b's channel "failed": the pool stops handing the connection out, but must not cut a's command.
      b.discard();
      b.release();
      const c = await pool.acquire(rec);
      expect(c.connectionId).not.toBe(a.connectionId);
      c.release();
      expect((await running).stdout.trim()).toBe('survived');
      a.release();
      // Once its last command is done, the discarded connection is closed.
      await waitFor(() => openConnections(sshd) === 1, 'the discarded connection to close', 10_000, 50);
    } finally {
      await pool.close();
    }
    await waitFor(() => openConnections(sshd) === 0, 'every connection to close', 10_000, 50);
  });

  it('refuses a NUL in a command before it reaches sshd, leaving the connection usable', async () => {
    const pool = newPool();
    try {
      const lease = await pool.acquire(rec);
      expect(await codeOf(openExec(lease.client, 'echo a\u0000b'))).toBe('invalid_argument');
      expect((await run(lease.client, 'echo fine', { timeoutMs: 15_000 })).stdout).toBe('fine\n');
      lease.release();
    } finally {
      await pool.close();
    }
  });

  it('closes a connection forgotten while it was still connecting, and takes no new ones once closed', async () => {
    const pool = newPool();
    const pending = pool.acquire(rec);
    pool.forget('box');
    await pool.close();
    expect(await codeOf(pending)).toBe('shutting_down');
    expect(await codeOf(pool.acquire(rec))).toBe('shutting_down');
    await waitFor(() => openConnections(sshd) === 0, 'the forgotten connection to close', 10_000, 50);
  });
});

describe('openExec against a server that refuses to exec', () => {
  let server: ssh2.Server;
  let port: number;
  let sshd: SshdHandle;

  beforeAll(async () => {
    sshd = await startSshd(); // only for its throwaway client key
    const hostKey = ssh2.utils.generateKeyPairSync('ed25519').private;
    server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
      client.on('authentication', (ctx) => ctx.accept());
      client.on('error', () => undefined);
      client.on('session', (accept) => {
        const session = accept();
        session.on('exec', (_accept, reject) => reject());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server?.close(() => r()));
    await sshd?.stop();
  });

  it('reports exec_refused (the connection is fine), not channel_failed (which would discard it)', async () => {
    const pool = newPool();
    try {
      const target = { host: '127.0.0.1', port, user: 'someone' };
      const probe = await pool.probe(recordFor(target, sshd.clientKey, ''), { expected: undefined });
      const lease = await pool.acquire(recordFor(target, sshd.clientKey, probe.fingerprint));
      expect(await codeOf(openExec(lease.client, 'true'))).toBe('exec_refused');
      // Still the same live connection: refused again, not broken.
      expect(await codeOf(openExec(lease.client, 'true'))).toBe('exec_refused');
      expect(pool.connectionCount('box')).toBe(1);
      lease.release();
    } finally {
      await pool.close();
    }
  });
});
