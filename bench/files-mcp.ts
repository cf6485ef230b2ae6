// read-file and transfer-file as a user meets them: tool calls to the deckhand binary over stdio (the job kernel,
// the pool, the argument gate included), against OpenSSH's own clients on the same sshd in the same run.
// BENCH_FILES_MB sets the transfer size (default 1024).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tempHome } from '../tests/helpers/home.js';
import { startStdio, structured, type StdioSession } from '../tests/helpers/mcp.js';
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

function writeRandom(file: string, mb: number): void {
  const fd = fs.openSync(file, 'w');
  const block = randomBytes(MB);
  try {
    for (let i = 0; i < mb; i++) {
      block.writeUInt32BE(i, 0);
      fs.writeSync(fd, block);
    }
  } finally {
    fs.closeSync(fd);
  }
}

interface Page {
  content: string;
  next?: { offset: number; cursor?: string };
}

/** Every 64 KiB page of a 10 MB file through read-file (the first takes the sha256), vs one `ssh host cat`. */
async function readFileFigures(rows: Row[], sshd: SshdHandle, mcp: StdioSession, dir: string): Promise<void> {
  const ten = path.join(dir, 'ten.bin');
  writeRandom(ten, 10);
  const reads: number[] = [];
  const firsts: number[] = [];
  const cats: number[] = [];
  const args = [...opensshArgs(sshd), '-p', String(sshd.port), `${sshd.user}@${sshd.host}`, `cat ${ten}`];
  for (let i = 0; i < 11; i++) {
    const t = performance.now();
    let got = 0;
    let page = structured<Page>(await mcp.call('read-file', { server: 'box', path: ten, encoding: 'base64' }));
    got += Buffer.from(page.content, 'base64').length;
    while (page.next) {
      page = structured<Page>(
        await mcp.call('read-file', { server: 'box', path: ten, encoding: 'base64', ...page.next }),
      );
      got += Buffer.from(page.content, 'base64').length;
    }
    if (got !== 10 * MB) throw new Error(`read-file returned ${got} bytes`);
    reads.push(performance.now() - t);
    // What a model does: one call, the first 64 KiB and the whole file's sha256 (no cursor, so hashed again).
    const t1 = performance.now();
    structured<Page>(await mcp.call('read-file', { server: 'box', path: ten, encoding: 'base64' }));
    firsts.push(performance.now() - t1);
    cats.push(timed(() => execFileSync('ssh', args, { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 64 * MB })));
  }
  const r50 = percentile(reads, 50);
  const c50 = percentile(cats, 50);
  const f50 = percentile(firsts, 50);
  rows.push({
    figure: 'read-file of a 10 MB file via MCP, one call: 64 KiB + sha256 (p50)',
    deckhand: fmtMs(f50),
    reference: `ssh cat ${fmtMs(c50)}`,
    ratio: `${(c50 / f50).toFixed(2)}× faster`,
    target: 'faster',
  });
  rows.push({
    figure: 'read-file 10 MB via MCP, 160 calls (p50)',
    deckhand: fmtMs(r50),
    reference: `ssh cat ${fmtMs(c50)}`,
    ratio: `${(c50 / r50).toFixed(2)}× faster`,
    target: 'faster',
  });
}

/** transfer-file each way as one tool call that waits for its job, vs scp and sftp. */
async function transferFigures(rows: Row[], sshd: SshdHandle, mcp: StdioSession, root: string): Promise<void> {
  const mb = Number(process.env.BENCH_FILES_MB ?? 1024);
  const big = path.join(root, 'big.bin');
  writeRandom(big, mb);
  const remote = path.join(root, 'remote.bin');
  const local = path.join(root, 'local.bin');
  const clean = () => [remote, local].forEach((f) => fs.rmSync(f, { force: true }));
  const rate = (ms: number) => `${(mb / (ms / 1000)).toFixed(0)} MB/s`;
  const ours = async (direction: 'upload' | 'download') => {
    const t = performance.now();
    const r = structured<{ status: string }>(
      await mcp.call(
        'transfer-file',
        {
          server: 'box',
          direction,
          local_path: direction === 'upload' ? 'big.bin' : 'local.bin',
          remote_path: remote,
          sync_wait_s: 300,
        },
        { timeoutMs: 600_000 },
      ),
    );
    if (r.status !== 'completed') throw new Error(`transfer-file ${direction}: ${JSON.stringify(r)}`);
    return performance.now() - t;
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
  fs.rmSync(big, { force: true });
  for (const d of ['upload', 'download'] as const) {
    const best = Math.min(scp[d], sftpT[d]);
    rows.push({
      figure: `transfer-file ${mb} MB ${d} via MCP (copy, sha256 both sides, job)`,
      deckhand: `${fmtMs(mine[d])} (${rate(mine[d])})`,
      reference: `scp ${rate(scp[d])}, sftp ${rate(sftpT[d])}`,
      ratio: `${(best / mine[d]).toFixed(2)}× of the faster`,
      target: '≥ 0.8×',
    });
  }
}

export async function benchFilesMcp(rows: Row[]): Promise<void> {
  const sshd = await startSshd({ extraConfig: 'Subsystem sftp /usr/lib/openssh/sftp-server' });
  const home = tempHome();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-bench-files-mcp-'));
  const mcp = await startStdio({ DECKHAND_HOME: home.dir, DECKHAND_FILES_ROOT: root });
  try {
    const added = await mcp.call('add-server', {
      name: 'box',
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      private_key_path: sshd.clientKey,
      host_key_fingerprint: sshd.hostKeyFingerprint,
    });
    if (added.isError) throw new Error('add-server failed');
    await readFileFigures(rows, sshd, mcp, root);
    await transferFigures(rows, sshd, mcp, root);
  } finally {
    await mcp.close();
    await sshd.stop();
    home.cleanup();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
