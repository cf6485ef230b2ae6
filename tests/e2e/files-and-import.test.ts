import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';
import { CLI, startStdio, structured, textOf, type StdioSession } from '../helpers/mcp.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

const MB = 1024 * 1024;
const run = promisify(execFile);

function sha256File(p: string): string {
  return createHash('sha256').update(fs.readFileSync(p)).digest('hex');
}

interface JobView {
  job: {
    status: string;
    progress: { done?: number; total?: number };
    result: { sha256: string; resumed_from: number; bytes_copied: number } | null;
    owner?: { pid: number };
  };
  logs: { text: string }[];
}

describe('through the deckhand binary', () => {
  let sshd: SshdHandle;
  let home: ReturnType<typeof tempHome>;
  let root: string;
  let mcp: StdioSession | undefined;

  beforeAll(async () => {
    sshd = await startSshd({ extraConfig: 'Subsystem sftp /usr/lib/openssh/sftp-server' });
    home = tempHome();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-e2e-files-'));
  }, 60_000);
  afterAll(async () => {
    await mcp?.close();
    await sshd?.stop();
    home?.cleanup();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('resumes a transfer after deckhand is killed mid-copy: the next process takes the job over', async () => {
    const env = { DECKHAND_HOME: home.dir, DECKHAND_FILES_ROOT: root, DECKHAND_OWNER_TIMEOUT_S: '3' };
    mcp = await startStdio(env);
    const added = await mcp.call('add-server', {
      name: 'box',
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      private_key_path: sshd.clientKey,
      host_key_fingerprint: sshd.hostKeyFingerprint,
    });
    expect(added.isError, textOf(added)).toBeFalsy();
    const local = path.join(root, 'big.bin');
    const fd = fs.openSync(local, 'w');
    for (let i = 0; i < 200; i++) fs.writeSync(fd, randomBytes(MB));
    fs.closeSync(fd);
    const remote = path.join(root, 'remote-copy.bin');
    const started = structured<{ job_id: string }>(
      await mcp.call('transfer-file', {
        server: 'box',
        direction: 'upload',
        local_path: 'big.bin',
        remote_path: remote,
        sync_wait_s: 0,
      }),
    );
    const status = async (s: StdioSession) =>
      structured<JobView>(await s.call('get-job-status', { job_id: started.job_id, tail_logs: 100 }));
    const first = mcp;
    await waitFor(async () => ((await status(first)).job.progress.done ?? 0) > 50 * MB, 'a quarter copied', 60_000, 50);
    process.kill(mcp.pid() as number, 'SIGKILL');
    await mcp.close();
    mcp = await startStdio(env);
    const second = mcp;
    await waitFor(
      async () => (await status(second)).job.status === 'completed',
      'the transfer to complete',
      120_000,
      200,
    );
    const done = await status(second);
    expect(done.job.result?.sha256).toBe(sha256File(local));
    expect(sha256File(remote)).toBe(sha256File(local));
    expect(done.job.result?.resumed_from).toBeGreaterThan(0);
    expect(done.logs.map((l) => l.text).join('\n')).toContain('deckhand restarted: resuming the transfer');
  }, 240_000);

  it('deckhand servers import registers the hosts of an ssh config matching a pattern, and says what it did', async () => {
    const cfgHome = tempHome();
    try {
      const config = path.join(cfgHome.dir, 'ssh_config');
      fs.writeFileSync(
        config,
        [
          'Host web-a web-b',
          '  HostName 127.0.0.1',
          `  Port ${sshd.port}`,
          'Host db-1',
          '  HostName 127.0.0.1',
          '  Port 1',
          'Host *',
          `  User ${sshd.user}`,
          `  IdentityFile ${sshd.clientKey}`,
          '  UserKnownHostsFile /dev/null',
          '',
        ].join('\n'),
      );
      const env = { ...process.env, DECKHAND_HOME: cfgHome.dir, DECKHAND_LOG_LEVEL: 'warn' };
      const out = await run(process.execPath, [CLI, 'servers', 'import', '--from', config, 'web-*'], { env });
      expect(out.stdout).toMatch(/^web-a\tregistered\t"web-a" .*:\d+: host key pinned on first use/m);
      expect(out.stdout).toMatch(/^web-b\tregistered\t/m);
      expect(out.stdout).toContain('2 hosts: 2 registered, 0 skipped, 0 failed.');
      // Again, with every host: the two are skipped, db-1 fails (nothing listens on port 1), and the exit code says so.
      const again = await run(process.execPath, [CLI, 'servers', 'import', '--from', config], { env }).catch(
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      expect('code' in again ? again.code : 0).toBe(1);
      expect(again.stdout).toMatch(/^web-a\tskipped\talready registered$/m);
      expect(again.stdout).toMatch(/^db-1\tfailed\tConnection refused by /m);
      expect(again.stdout).toContain('3 hosts: 0 registered, 2 skipped, 1 failed.');
      const list = await run(process.execPath, [CLI, 'servers', 'list'], { env });
      expect(
        list.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('\t')[0]),
      ).toEqual(['web-a', 'web-b']);
    } finally {
      cfgHome.cleanup();
    }
  });
});
