// read-file and transfer-file building blocks (src/ssh/file-read.ts, transfer.ts) against OpenSSH's own clients,
// same sshd (with sftp-server), same run. BENCH_FILES_MB sets the transfer size (default 1024).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'ssh2';
import { readFile, type FilePage } from '../src/ssh/file-read.js';
import { openSftp, type SftpSession } from '../src/ssh/sftp.js';
import { transfer } from '../src/ssh/transfer.js';
import { startSshd, type SshdHandle } from '../tests/helpers/sshd.js';
import { fmtMs, percentile, type Row } from './stats.js';

const MB = 1024 * 1024;

function opensshArgs(sshd: SshdHandle): string[] {
  const o = ['StrictHostKeyChecking=no', 'UserKnownHostsFile=/dev/null', 'LogLevel=ERROR', 'BatchMode=yes'];
  return ['-i', sshd.clientKey, ...o.flatMap((x) => ['-o', x])];
}

function timed(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

async function timedAsync(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function writeRandom(file: string, mb: number): void {
  const fd = fs.openSync(file, 'w');
  const block = randomBytes(MB);
  try {
    // Distinct blocks, so nothing along the way can shortcut repeated data.
    for (let i = 0; i < mb; i++) {
      block.writeUInt32BE(i, 0);
      fs.writeSync(fd, block);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** read-file of 10 MB: every 64 KiB page through one pooled SFTP session (as Lease.sftp() gives) vs `ssh host cat`. */
async function benchRead(rows: Row[], sshd: SshdHandle, session: SftpSession, dir: string): Promise<void> {
  const ten = path.join(dir, 'ten.bin');
  writeRandom(ten, 10);
  const reads: number[] = [];
  const cats: number[] = [];
  const args = [...opensshArgs(sshd), '-p', String(sshd.port), `${sshd.user}@${sshd.host}`, `cat ${ten}`];
  for (let i = 0; i < 11; i++) {
    reads.push(
      await timedAsync(async () => {
        // The first page takes the sha256 (sha256sum on the server); later pages reuse it through the cursor.
        let page = (await readFile(session, ten, { encoding: 'base64' })) as FilePage;
        while (page.next) page = (await readFile(session, ten, { encoding: 'base64', ...page.next })) as FilePage;
      }),
    );
    cats.push(timed(() => execFileSync('ssh', args, { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 64 * MB })));
  }
  const r50 = percentile(reads, 50);
  const c50 = percentile(cats, 50);
  rows.push({
    figure: 'read-file 10 MB in 160 pages (p50)',
    deckhand: fmtMs(r50),
    reference: `ssh cat ${fmtMs(c50)}`,
    ratio: `${(c50 / r50).toFixed(2)}× faster`,
    target: 'faster',
  });
}

/** transfer-file each way vs scp (SFTP protocol, OpenSSH 9.2's default) and sftp, on loopback. */
async function benchTransfer(rows: Row[], sshd: SshdHandle, session: SftpSession, dir: string): Promise<void> {
  const mb = Number(process.env.BENCH_FILES_MB ?? 1024);
  const big = path.join(dir, 'big.bin');
  writeRandom(big, mb);
  const remote = path.join(dir, 'remote.bin');
  const local = path.join(dir, 'local.bin');
  const clean = () => [remote, local].forEach((f) => fs.rmSync(f, { force: true }));
  const rate = (ms: number) => `${(mb / (ms / 1000)).toFixed(0)} MB/s`;
  // The copy phase (until the last byte is acknowledged) apart from the whole call, which adds the sha256 check:
  // sha256 of 1 GB costs about as much CPU as copying it, and OpenSSH's clients do no such check.
  const ours = async (direction: 'upload' | 'download') => {
    const t = performance.now();
    let copy = 0;
    await transfer(session, {
      direction,
      localPath: direction === 'upload' ? big : local,
      remotePath: remote,
      progressEveryMs: 0,
      onProgress: (p) => {
        if (p.bytesDone === p.bytesTotal) copy = performance.now() - t;
      },
    });
    return { total: performance.now() - t, copy };
  };
  const mine = { upload: await ours('upload'), download: await ours('download') };
  clean();
  const dest = `${sshd.user}@${sshd.host}`;
  const port = String(sshd.port);
  const scp = {
    upload: timed(() => execFileSync('scp', [...opensshArgs(sshd), '-P', port, big, `${dest}:${remote}`])),
    download: timed(() => execFileSync('scp', [...opensshArgs(sshd), '-P', port, `${dest}:${remote}`, local])),
  };
  clean();
  const sftp = (cmd: string) =>
    timed(() => execFileSync('sftp', [...opensshArgs(sshd), '-P', port, '-b', '-', dest], { input: `${cmd}\n` }));
  const sftpT = { upload: sftp(`put ${big} ${remote}`), download: sftp(`get ${remote} ${local}`) };
  clean();
  for (const d of ['upload', 'download'] as const) {
    const best = Math.min(scp[d], sftpT[d]);
    rows.push({
      figure: `transfer-file ${mb} MB ${d}, whole call (copy + sha256 check)`,
      deckhand: `${fmtMs(mine[d].total)} (${rate(mine[d].total)})`,
      reference: `scp ${rate(scp[d])}, sftp ${rate(sftpT[d])}`,
      ratio: `${(best / mine[d].total).toFixed(2)}× of the faster`,
      target: '≥ 0.8×',
    });
    rows.push({
      figure: `transfer-file ${mb} MB ${d}, copy phase`,
      deckhand: `${fmtMs(mine[d].copy)} (${rate(mine[d].copy)})`,
      reference: `scp ${fmtMs(scp[d])}, sftp ${fmtMs(sftpT[d])}`,
      ratio: `${(best / mine[d].copy).toFixed(2)}× of the faster`,
      target: '≥ 0.8×',
    });
  }
}

export async function benchFiles(rows: Row[]): Promise<void> {
  const sshd = await startSshd({ extraConfig: 'Subsystem sftp /usr/lib/openssh/sftp-server' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-bench-files-'));
  const client = new Client();
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve()).once('error', reject);
      const key = fs.readFileSync(sshd.clientKey);
      client.connect({ host: sshd.host, port: sshd.port, username: sshd.user, privateKey: key });
    });
    client.setNoDelay(true);
    const session = await openSftp(client);
    await benchRead(rows, sshd, session, dir);
    await benchTransfer(rows, sshd, session, dir);
  } finally {
    client.end();
    await sshd.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
