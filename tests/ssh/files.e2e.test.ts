import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, statPath, type DirectoryPage, type FilePage } from '../../src/ssh/file-read.js';
import { writeFile } from '../../src/ssh/file-write.js';
import { SshPool } from '../../src/ssh/pool.js';
import { connect, errorOf } from '../helpers/ssh-client.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Reads a whole file page by page, as a model would, through the cursor. */
async function readAll(client: Client, p: string, encoding: 'utf8' | 'base64') {
  const parts: Buffer[] = [];
  const shas = new Set<string>();
  let page = (await readFile(client, p, { encoding })) as FilePage;
  for (;;) {
    parts.push(encoding === 'utf8' ? Buffer.from(page.content, 'utf8') : Buffer.from(page.content, 'base64'));
    shas.add(page.sha256);
    if (!page.next) break;
    page = (await readFile(client, p, { encoding, offset: page.next.offset, cursor: page.next.cursor })) as FilePage;
  }
  return { data: Buffer.concat(parts), shas: [...shas] };
}

describe('remote files over SFTP against a real sshd', () => {
  let sshd: SshdHandle;
  let client: Client;
  let dir: string;
  beforeAll(async () => {
    sshd = await startSshd({ extraConfig: 'Subsystem sftp internal-sftp' });
    client = await connect(sshd);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-files-'));
  });
  afterAll(async () => {
    client?.end();
    await sshd?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips binary content across pages, and refuses it as utf8 with a hint', async () => {
    const p = path.join(dir, 'blob.bin');
    const data = randomBytes(200 * 1024 + 17);
    const w = await writeFile(client, p, data);
    expect([w.created, w.sha256, w.diff.text]).toEqual([true, sha(data), expect.stringMatching(/^Binary content/)]);
    expect(fs.readFileSync(p).equals(data)).toBe(true);
    const all = await readAll(client, p, 'base64');
    expect(all.data.equals(data)).toBe(true);
    expect(all.shas).toEqual([sha(data)]);
    const err = await errorOf(readFile(client, p));
    expect(err.code).toBe('binary_content');
    expect(err.userMessage).toMatch(/base64/);
  });

  it('pages utf8 text on character boundaries, with size, mode, owner and mtime', async () => {
    const p = path.join(dir, 'text.txt');
    const text = 'ligne é — 🚀\n'.repeat(9000); // multi-byte characters straddle the 64 KiB page ends
    fs.writeFileSync(p, text, { mode: 0o640 });
    fs.chmodSync(p, 0o640);
    const first = (await readFile(client, p)) as FilePage;
    expect(first.length).toBeLessThanOrEqual(64 * 1024);
    expect(first.info).toMatchObject({ kind: 'file', size: Buffer.byteLength(text), mode: '0640', uid: 0, gid: 0 });
    expect(Date.parse(first.info.mtime)).toBeGreaterThan(Date.now() - 60_000);
    const all = await readAll(client, p, 'utf8');
    expect(all.data.toString('utf8')).toBe(text);
    expect(all.shas).toEqual([sha(text)]);
  });

  it('lists a directory in sorted pages', async () => {
    const d = path.join(dir, 'many');
    fs.mkdirSync(d);
    for (let i = 0; i < 25; i++) fs.writeFileSync(path.join(d, `f${String(i).padStart(2, '0')}`), 'x');
    const p1 = (await readFile(client, d, { length: 10 })) as DirectoryPage;
    expect([p1.kind, p1.total, p1.entries.length, p1.entries[0]?.name, p1.next?.offset]).toEqual([
      'directory',
      25,
      10,
      'f00',
      10,
    ]);
    const p3 = (await readFile(client, d, { length: 10, offset: 20 })) as DirectoryPage;
    expect([p3.entries.map((e) => e.name).at(-1), p3.next]).toEqual(['f24', undefined]);
    expect((await statPath(client, d)).kind).toBe('directory');
  });

  it('refuses a write when the file changed since it was read, naming the current sha256', async () => {
    const p = path.join(dir, 'app.conf');
    fs.writeFileSync(p, 'port = 80\n');
    const read = (await readFile(client, p)) as FilePage;
    fs.writeFileSync(p, 'port = 8080\n'); // someone else's edit in between
    const err = await errorOf(writeFile(client, p, Buffer.from('port = 81\n'), { ifSha256: read.sha256 }));
    expect(err.code).toBe('write_conflict');
    expect(err.message).toContain(sha('port = 8080\n'));
    expect(fs.readFileSync(p, 'utf8')).toBe('port = 8080\n');
    expect(fs.readdirSync(dir).filter((f) => f.includes('deckhand'))).toEqual([]);
    const ok = await writeFile(client, p, Buffer.from('port = 81\n'), { ifSha256: sha('port = 8080\n') });
    expect(ok.previousSha256).toBe(sha('port = 8080\n'));
  });

  it('keeps mode and owner, backs up the old file and answers a diff', async () => {
    const p = path.join(dir, 'nginx.conf');
    const old = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n') + '\n';
    fs.writeFileSync(p, old);
    fs.chmodSync(p, 0o600);
    fs.chownSync(p, 1234, 2345);
    const now = () => new Date('2026-05-01T12:03:04.567Z');
    const next = old.replace('line 20\n', 'line twenty\n');
    const w = await writeFile(client, p, Buffer.from(next), { now });
    expect(w.backupPath).toBe(`${p}.deckhand-20260501T120304567Z.bak`);
    expect(fs.readFileSync(w.backupPath as string, 'utf8')).toBe(old);
    const st = fs.statSync(p);
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o600, 1234, 2345]);
    expect(w.info).toMatchObject({ mode: '0600', uid: 1234, gid: 2345 });
    expect(w.diff.text).toContain('-line 20\n+line twenty\n');
    expect(w.diff.text).toMatch(/^--- a.*nginx\.conf\n\+\+\+ b.*nginx\.conf\n@@ -18,7 \+18,7 @@/);
    // Told otherwise, it sets them; without backup none is kept.
    const w2 = await writeFile(client, p, Buffer.from('x\n'), {
      mode: 0o644,
      owner: { uid: 0, gid: 0 },
      backup: false,
    });
    expect([w2.backupPath, w2.info.mode, w2.info.uid]).toEqual([undefined, '0644', 0]);
    // A large change gets a capped diff.
    const big = Array.from({ length: 5000 }, (_, i) => `row ${i}`).join('\n');
    const w3 = await writeFile(client, p, Buffer.from(big), { backup: false, maxDiffBytes: 2000 });
    expect(w3.diff.truncated).toBe(true);
    expect(Buffer.byteLength(w3.diff.text)).toBeLessThan(2100);
  });

  it('writes through a symlink, and refuses a directory and a missing parent (unless create_dirs)', async () => {
    const real = path.join(dir, 'real.txt');
    fs.writeFileSync(real, 'a');
    fs.symlinkSync(real, path.join(dir, 'link.txt'));
    const w = await writeFile(client, path.join(dir, 'link.txt'), Buffer.from('b'), { backup: false });
    expect([w.path, w.viaSymlink, fs.readFileSync(real, 'utf8')]).toEqual([real, path.join(dir, 'link.txt'), 'b']);
    expect(fs.lstatSync(path.join(dir, 'link.txt')).isSymbolicLink()).toBe(true);
    expect((await errorOf(writeFile(client, dir, Buffer.from('x')))).code).toBe('not_a_regular_file');
    const deep = path.join(dir, 'a', 'b', 'c.txt');
    const missing = await errorOf(writeFile(client, deep, Buffer.from('x')));
    expect([missing.code, missing.message]).toEqual([
      'file_not_found',
      expect.stringContaining(path.join(dir, 'a', 'b')),
    ]);
    expect(missing.hint).toMatch(/create_dirs/);
    expect((await writeFile(client, deep, Buffer.from('x'), { createDirs: true })).created).toBe(true);
    expect((await errorOf(readFile(client, path.join(dir, 'nope')))).code).toBe('file_not_found');
  });

  it("works in a pooled connection's SFTP session, kept across leases", async () => {
    const pool = new SshPool({ connectTimeoutMs: 5000, keepaliveIntervalMs: 15_000, env: {} });
    const target = {
      name: 'files',
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      auth: { private_key_path: sshd.clientKey },
      host_key_fingerprint: sshd.hostKeyFingerprint,
    };
    try {
      const a = await pool.acquire(target);
      const s1 = await a.sftp();
      const p = path.join(dir, 'pooled.txt');
      await writeFile(s1, p, Buffer.from('pooled\n'));
      a.release();
      const b = await pool.acquire(target);
      const s2 = await b.sftp();
      expect(s2).toBe(s1);
      expect(((await readFile(s2, p)) as FilePage).content).toBe('pooled\n');
      b.release();
      const closed = new Promise<void>((r) => s1.raw.once('close', () => r()));
      b.client.end(); // the connection dies (only this one: other tests share the sshd)
      await closed;
      const c = await pool.acquire(target);
      expect(await c.sftp()).not.toBe(s1);
      expect(((await readFile(await c.sftp(), p)) as FilePage).content).toBe('pooled\n');
      c.release();
    } finally {
      await pool.close();
    }
  });

  it('never shows a concurrent reader a half-written file', async () => {
    const p = path.join(dir, 'swap.bin');
    const a = Buffer.alloc(4 * 1024 * 1024, 'a');
    const b = Buffer.alloc(4 * 1024 * 1024, 'b');
    fs.writeFileSync(p, a);
    let reads = 0;
    let stop = false;
    const seen = new Set<string>();
    const reader = (async () => {
      while (!stop) {
        const got = await fs.promises.readFile(p);
        const kind = got.equals(a) ? 'a' : got.equals(b) ? 'b' : `torn(${got.length})`;
        seen.add(kind);
        reads++;
      }
    })();
    for (let i = 0; i < 8; i++) await writeFile(client, p, i % 2 ? a : b, { backup: false });
    stop = true;
    await reader;
    expect(reads).toBeGreaterThan(8);
    expect([...seen].sort()).toEqual(['a', 'b']);
  });
});

describe('remote file errors for a login that is not root', () => {
  let sshd: SshdHandle;
  let client: Client;
  let dir: string;
  let small: string;
  beforeAll(async () => {
    // nobody's shell is nologin: internal-sftp works without it, and exec (sha256sum) fails, so the read-back is used.
    sshd = await startSshd({ extraConfig: 'Subsystem sftp internal-sftp' });
    // sshd reads authorized_keys as the login user.
    fs.chmodSync(sshd.dir, 0o711);
    fs.chmodSync(path.join(sshd.dir, 'authorized_keys'), 0o644);
    client = await connect(sshd, 'nobody');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-files-nobody-'));
    fs.chmodSync(dir, 0o755);
    small = path.join(dir, 'small');
    fs.mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0777', 'deckhand-test', small]);
  });
  afterAll(async () => {
    client?.end();
    await sshd?.stop();
    if (small && fs.readFileSync('/proc/mounts', 'utf8').includes(` ${small} `)) execFileSync('umount', [small]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names owner and mode on permission denied', async () => {
    const p = path.join(dir, 'secret');
    fs.writeFileSync(p, 'x');
    fs.chmodSync(p, 0o600);
    const err = await errorOf(readFile(client, p, { loginUser: 'nobody' }));
    expect(err.code).toBe('permission_denied');
    expect(err.message).toContain(`${p} is owned by uid 0 (gid 0) with mode 0600; deckhand logs in as "nobody"`);
    const w = await errorOf(writeFile(client, path.join(dir, 'new'), Buffer.from('x'), { loginUser: 'nobody' }));
    expect(w.code).toBe('permission_denied');
    expect(w.message).toContain(`${dir} is owned by uid 0 (gid 0) with mode 0755`);
  });

  it('says when the disk is full, and leaves no temp file behind', async () => {
    const err = await errorOf(writeFile(client, path.join(small, 'big'), randomBytes(512 * 1024)));
    expect(err.code).toBe('no_space_left');
    expect(err.message).toMatch(/no space left .*524288 needed/);
    expect(fs.readdirSync(small)).toEqual([]);
  });

  it('hashes by reading back when the login cannot run sha256sum', async () => {
    const p = path.join(dir, 'pub.bin');
    const data = randomBytes(150 * 1024);
    fs.writeFileSync(p, data);
    fs.chmodSync(p, 0o644);
    const page = (await readFile(client, p, { encoding: 'base64' })) as FilePage;
    expect(page.sha256).toBe(sha(data));
  });
});
