import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { structured, textOf } from '../helpers/mcp.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

const MB = 1024 * 1024;

function sha256File(p: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(p, 'r');
  const buf = Buffer.alloc(4 * MB);
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

function writeRandom(p: string, mb: number): void {
  const fd = fs.openSync(p, 'w');
  for (let i = 0; i < mb; i++) fs.writeSync(fd, randomBytes(MB));
  fs.closeSync(fd);
}

interface Answer {
  status: string;
  job_id: string;
  error?: { code: string; message: string };
  progress?: { done?: number; total?: number; rate?: number; eta_s?: number; message?: string };
  result?: { bytes: number; sha256: string; resumed_from: number; bytes_copied: number };
}

describe('transfer-file through MCP over a real sshd', () => {
  let sshd: SshdHandle;
  let home: ReturnType<typeof tempHome>;
  let root: string;
  let remoteDir: string;
  let d: InProcess;

  beforeAll(async () => {
    sshd = await startSshd({ extraConfig: 'Subsystem sftp /usr/lib/openssh/sftp-server' });
    home = tempHome();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-files-root-'));
    remoteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-files-remote-'));
    d = await startInProcess({ DECKHAND_HOME: home.dir, DECKHAND_FILES_ROOT: root });
    const added = await d.call('add-server', {
      name: 'box',
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      private_key_path: sshd.clientKey,
      host_key_fingerprint: sshd.hostKeyFingerprint,
    });
    expect(added.isError, textOf(added)).toBeFalsy();
  }, 60_000);
  afterAll(async () => {
    await d?.close();
    await sshd?.stop();
    home?.cleanup();
    for (const p of [root, remoteDir]) if (p) fs.rmSync(p, { recursive: true, force: true });
  });

  /** Calls transfer-file with a progressToken; `onProgress` sees every notification. */
  async function call(args: Record<string, unknown>, onProgress?: (p: Progress) => void): Promise<CallToolResult> {
    return (await d.client.callTool({ name: 'transfer-file', arguments: { server: 'box', ...args } }, undefined, {
      timeout: 300_000,
      ...(onProgress ? { onprogress: onProgress } : {}),
    })) as CallToolResult;
  }

  it('uploads 200 MB through a killed connection, resumes, verifies sha256, and reports bytes in progress', async () => {
    const local = path.join(root, 'upload.bin');
    writeRandom(local, 200);
    const want = sha256File(local);
    const remote = path.join(remoteDir, 'upload.bin');
    const seen: Progress[] = [];
    let dropped = false;
    const r = await call(
      { direction: 'upload', local_path: 'upload.bin', remote_path: remote, sync_wait_s: 240 },
      (p) => {
        seen.push(p);
        // Kill sshd's per-connection children (the session deckhand copies over) once 40% is through.
        if (!dropped && p.total && p.progress >= p.total * 0.4) {
          dropped = true;
          sshd.dropConnections();
        }
      },
    );
    const a = structured<Answer>(r);
    expect(a.status, textOf(r)).toBe('completed');
    expect(dropped).toBe(true);
    expect(a.result?.sha256).toBe(want);
    expect(sha256File(remote)).toBe(want);
    expect(fs.existsSync(`${remote}.deckhand-partial`)).toBe(false);
    // It resumed: it did not copy everything twice, and started the second attempt past where the drop happened.
    expect(a.result?.resumed_from).toBeGreaterThan(60 * MB);
    expect(a.result?.bytes_copied).toBeLessThan(150 * MB);
    // Progress notifications counted bytes against the total, and never went backwards.
    const counted = seen.filter((p) => p.total === 200 * MB);
    expect(counted.length).toBeGreaterThan(3);
    expect(seen.every((p, i) => i === 0 || p.progress > (seen[i - 1] as Progress).progress)).toBe(true);
    expect(counted.some((p) => /MB of 200\.0 MB \(\d+(\.\d)?%\), [\d.]+ [KMG]B\/s/.test(p.message ?? ''))).toBe(true);
    const status = structured<{ logs: { text: string }[] }>(
      await d.call('get-job-status', { job_id: a.job_id, tail_logs: 50 }),
    );
    const log = status.logs.map((l) => l.text).join('\n');
    expect(log).toMatch(/the connection dropped .*reconnecting to resume/);
    expect(log).toMatch(/resuming from byte \d+/);
    expect(log).toContain(`verified: sha256 ${want} on both sides`);
  }, 300_000);

  it('downloads through a drop into a new directory, and a second call for the same file joins the running job', async () => {
    const remote = path.join(remoteDir, 'download.bin');
    writeRandom(remote, 64);
    const want = sha256File(remote);
    const args = { direction: 'download', local_path: 'sub/download.bin', remote_path: remote };
    const started = structured<Answer>(await call({ ...args, sync_wait_s: 0 }));
    expect(['queued', 'running']).toContain(started.status);
    // The drop follows the bytes written here, not progress notifications: those are throttled, and a fast
    // loopback copy can finish between two of them.
    const partial = path.join(root, 'sub', 'download.bin.deckhand-partial');
    let dropped = false;
    const watcher = setInterval(() => {
      const size = fs.statSync(partial, { throwIfNoEntry: false })?.size ?? 0;
      if (!dropped && size >= 64 * MB * 0.3) {
        dropped = true;
        sshd.dropConnections();
      }
    }, 1);
    let a: Answer & { joined?: boolean };
    try {
      a = structured<Answer & { joined?: boolean }>(await call({ ...args, sync_wait_s: 240 }));
    } finally {
      clearInterval(watcher);
    }
    expect([a.status, a.joined, a.job_id], JSON.stringify(a)).toEqual(['completed', true, started.job_id]);
    expect(dropped).toBe(true);
    expect(sha256File(path.join(root, 'sub', 'download.bin'))).toBe(want);
    expect(fs.existsSync(path.join(root, 'sub', 'download.bin.deckhand-partial'))).toBe(false);
  }, 300_000);

  it('keeps local paths inside DECKHAND_FILES_ROOT, and refuses transfers until it is set', async () => {
    fs.symlinkSync('/etc', path.join(root, 'etc-link'));
    const cases = [
      ['../outside.bin', /"\.\." or an absolute path leads out of it/],
      ['/etc/passwd', /"\.\." or an absolute path leads out of it/],
      ['etc-link/passwd', /a symlink leads out of it \(to \/etc\/passwd\)/],
    ] as const;
    for (const [local, why] of cases) {
      const r = await call({ direction: 'download', local_path: local, remote_path: '/etc/hostname' });
      expect(textOf(r)).toMatch(/^Error \(path_outside_files_root\): /);
      expect(textOf(r)).toMatch(why);
    }
    const jobs = structured<{ jobs: unknown[] }>(await d.call('list-jobs', {}));
    const before = jobs.jobs.length;
    const unset = await startInProcess({ DECKHAND_HOME: home.dir }, { start: false });
    try {
      const r = (await unset.client.callTool({
        name: 'transfer-file',
        arguments: { server: 'box', direction: 'upload', local_path: 'x', remote_path: '/tmp/x' },
      })) as CallToolResult;
      expect(textOf(r)).toMatch(
        /^Error \(files_root_unset\): Local file transfers are off: DECKHAND_FILES_ROOT is not set\. Set DECKHAND_FILES_ROOT/,
      );
    } finally {
      await unset.close();
    }
    // Refused before any job was made.
    expect(structured<{ jobs: unknown[] }>(await d.call('list-jobs', {})).jobs.length).toBe(before);
  });
});
