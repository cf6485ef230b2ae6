import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transfer } from '../../src/ssh/transfer.js';
import { connect } from '../helpers/ssh-client.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

const MB = 1024 * 1024;
const sha = (p: string) => createHash('sha256').update(fs.readFileSync(p)).digest('hex');

// An upload's sha256 is taken on the server while the file grows; a server that cannot (no dd, no sha256sum on its
// PATH) gets its file read back over SFTP instead, and the answer is the same.
describe('the upload check follows the written prefix on the server', () => {
  let plain: SshdHandle;
  let bare: SshdHandle;
  let dir: string;
  const clients: Client[] = [];
  beforeAll(async () => {
    [plain, bare] = await Promise.all([
      startSshd({ extraConfig: 'Subsystem sftp /usr/lib/openssh/sftp-server' }),
      startSshd({ extraConfig: 'Subsystem sftp /usr/lib/openssh/sftp-server\nSetEnv PATH=/nonexistent' }),
    ]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-follow-'));
  });
  afterAll(async () => {
    for (const c of clients) c.end();
    await Promise.all([plain?.stop(), bare?.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('hashes while uploading, resumed or not, and falls back where the server has no tools', async () => {
    const src = path.join(dir, 'src.bin');
    // Not a whole number of follow blocks: the last, short block is read to the end of the file.
    fs.writeFileSync(src, randomBytes(37 * MB + 12345));
    for (const [sshd, via] of [
      [plain, 'followed'],
      [bare, 'sftp'],
    ] as const) {
      const c = await connect(sshd);
      clients.push(c);
      const remote = path.join(dir, `dst-${via}.bin`);
      const r = await transfer(c, { direction: 'upload', localPath: src, remotePath: remote });
      expect([r.remoteHashVia, r.sha256, sha(remote)]).toEqual([via, sha(src), sha(src)]);
    }
    // Resuming: the follower starts with the prefix already there.
    const c = await connect(plain);
    clients.push(c);
    const remote = path.join(dir, 'resumed.bin');
    fs.writeFileSync(`${remote}.deckhand-partial`, fs.readFileSync(src).subarray(0, 20 * MB));
    const r = await transfer(c, { direction: 'upload', localPath: src, remotePath: remote });
    expect(r.resumedFrom).toBeGreaterThan(0);
    expect([r.remoteHashVia, r.sha256, sha(remote)]).toEqual(['followed', sha(src), sha(src)]);
  });
});
