import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE, resumeSlack } from '../../src/ssh/sftp-pipeline.js';
import { partialPath, transfer, type TransferOptions } from '../../src/ssh/transfer.js';
import { connect, errorOf } from '../helpers/ssh-client.js';
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

describe('resumable transfers against a real sshd (sftp-server)', () => {
  let sshd: SshdHandle;
  let dir: string;
  let source: string;
  let sourceSha: string;
  const clients: Client[] = [];
  const open = async () => {
    const c = await connect(sshd);
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    sshd = await startSshd({ extraConfig: 'Subsystem sftp /usr/lib/openssh/sftp-server' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-transfer-'));
    source = path.join(dir, 'source.bin');
    const fd = fs.openSync(source, 'w');
    for (let i = 0; i < 200; i++) fs.writeSync(fd, randomBytes(MB));
    fs.closeSync(fd);
    sourceSha = sha256File(source);
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.end();
    await sshd?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a transfer and drops every connection once `fraction` of it is done; returns the error it ends with. */
  async function interrupted(o: Omit<TransferOptions, 'onProgress'>, fraction: number) {
    let dropped = false;
    const err = await errorOf(
      transfer(await open(), {
        ...o,
        progressEveryMs: 0,
        onProgress: (p) => {
          if (!dropped && p.bytesDone >= p.bytesTotal * fraction) {
            dropped = true;
            sshd.dropConnections();
          }
        },
      }),
    );
    expect(dropped).toBe(true);
    return err;
  }

  it('uploads 200 MB, survives a dropped connection by resuming, and verifies sha256', async () => {
    const remote = path.join(dir, 'uploaded.bin');
    const o = { direction: 'upload' as const, localPath: source, remotePath: remote };
    const err = await interrupted(o, 0.4);
    expect(err.code).toBe('connection_lost');
    const partialSize = fs.statSync(partialPath(remote)).size;
    expect(partialSize).toBeGreaterThan(60 * MB);
    expect(fs.existsSync(remote)).toBe(false); // nothing half-done under the real name
    const r = await transfer(await open(), o);
    expect(r.resumedFrom).toBeGreaterThanOrEqual(partialSize - resumeSlack(DEFAULT_PIPELINE) - DEFAULT_PIPELINE.chunk);
    expect(r.bytesCopied).toBe(200 * MB - r.resumedFrom);
    expect([r.sha256, r.remoteHashVia]).toEqual([sourceSha, 'followed']);
    expect(sha256File(remote)).toBe(sourceSha);
    expect(fs.existsSync(partialPath(remote))).toBe(false);
  }, 120_000);

  it('downloads 200 MB the same way', async () => {
    const local = path.join(dir, 'downloaded.bin');
    const o = { direction: 'download' as const, localPath: local, remotePath: source };
    expect((await interrupted(o, 0.5)).code).toBe('connection_lost');
    const r = await transfer(await open(), o);
    expect(r.resumedFrom).toBeGreaterThan(50 * MB);
    expect(r.sha256).toBe(sourceSha);
    expect(sha256File(local)).toBe(sourceSha);
  }, 120_000);

  it('stops when cancelled, keeps the partial file, and resumes from it', async () => {
    const remote = path.join(dir, 'cancelled.bin');
    const ac = new AbortController();
    const o = { direction: 'upload' as const, localPath: source, remotePath: remote };
    const err = await errorOf(
      transfer(await open(), {
        ...o,
        signal: ac.signal,
        progressEveryMs: 0,
        onProgress: (p) => {
          if (p.bytesDone > 30 * MB) ac.abort();
        },
      }),
    );
    expect(err.code).toBe('cancelled');
    expect(fs.existsSync(remote)).toBe(false);
    const r = await transfer(await open(), o);
    expect(r.resumedFrom).toBeGreaterThan(20 * MB);
    expect(r.sha256).toBe(sourceSha);
  }, 120_000);

  it('deletes a partial file that does not match the source, so the next run starts over', async () => {
    const remote = path.join(dir, 'mismatch.bin');
    const small = path.join(dir, 'small.bin');
    const slack = resumeSlack(DEFAULT_PIPELINE);
    fs.writeFileSync(small, randomBytes(3 * slack));
    fs.writeFileSync(partialPath(remote), randomBytes(2 * slack)); // someone else's bytes, longer than the slack
    const o = { direction: 'upload' as const, localPath: small, remotePath: remote };
    const err = await errorOf(transfer(await open(), o));
    expect(err.code).toBe('transfer_verify_failed');
    expect(fs.existsSync(partialPath(remote))).toBe(false);
    const r = await transfer(await open(), o);
    expect([r.resumedFrom, sha256File(remote)]).toEqual([0, sha256File(small)]);
  }, 60_000);
});
