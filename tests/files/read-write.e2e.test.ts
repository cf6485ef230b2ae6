import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { structured, textOf } from '../helpers/mcp.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

interface Page {
  kind: string;
  size: number;
  mode: string;
  sha256: string;
  content: string;
  eof: boolean;
  next?: { offset: number; cursor?: string };
  entries?: { name: string; kind: string }[];
  total?: number;
}
interface Written {
  path: string;
  created: boolean;
  mode: string;
  sha256: string;
  previous_sha256?: string;
  backup_path?: string;
  diff: string;
}

describe('read-file and write-file through MCP over a real sshd (sftp-server)', () => {
  let sshd: SshdHandle;
  let home: ReturnType<typeof tempHome>;
  let dir: string;
  let d: InProcess;

  beforeAll(async () => {
    sshd = await startSshd({ extraConfig: 'Subsystem sftp /usr/lib/openssh/sftp-server' });
    home = tempHome();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-files-'));
    d = await startInProcess({ DECKHAND_HOME: home.dir });
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
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const write = async (args: Record<string, unknown>) => {
    const r = await d.call('write-file', { server: 'box', ...args });
    expect(r.isError, textOf(r)).toBeFalsy();
    return structured<Written>(r);
  };
  const read = async (args: Record<string, unknown>) => {
    const r = await d.call('read-file', { server: 'box', ...args });
    expect(r.isError, textOf(r)).toBeFalsy();
    return structured<Page>(r);
  };

  it('round-trips binary content in pages, and refuses it as utf8 with a hint', async () => {
    const bytes = randomBytes(150 * 1024);
    bytes[10] = 0;
    const p = path.join(dir, 'blob.bin');
    const w = await write({ path: p, base64: bytes.toString('base64'), mode: '0600' });
    expect([w.created, w.mode, w.sha256]).toEqual([true, '0600', sha(bytes)]);
    expect(fs.readFileSync(p).equals(bytes)).toBe(true);
    const parts: Buffer[] = [];
    let page = await read({ path: p, encoding: 'base64' });
    parts.push(Buffer.from(page.content, 'base64'));
    while (page.next) {
      page = await read({ path: p, encoding: 'base64', ...page.next });
      parts.push(Buffer.from(page.content, 'base64'));
    }
    expect(parts.length).toBe(3);
    expect(Buffer.concat(parts).equals(bytes)).toBe(true);
    expect(page.sha256).toBe(sha(bytes));
    const refused = await d.call('read-file', { server: 'box', path: p });
    expect(textOf(refused)).toMatch(
      /^Error \(binary_content\): .*blob\.bin holds binary data.* Read it again with encoding "base64"/,
    );
  });

  it('replaces a text file keeping its mode, answers the diff, keeps a backup, and refuses a lost update', async () => {
    const p = path.join(dir, 'app.conf');
    fs.writeFileSync(p, 'port = 80\nworkers = 2\n', { mode: 0o640 });
    fs.chmodSync(p, 0o640);
    const before = await read({ path: p });
    expect(before.content).toBe('port = 80\nworkers = 2\n');
    const w = await write({ path: p, content: 'port = 8080\nworkers = 2\n', if_sha256: before.sha256 });
    expect([w.created, w.mode, w.previous_sha256]).toEqual([false, '0640', before.sha256]);
    expect(w.diff).toContain('-port = 80\n+port = 8080\n');
    expect(fs.readFileSync(w.backup_path as string, 'utf8')).toBe('port = 80\nworkers = 2\n');
    // Someone else changes it after our read: our stale if_sha256 is refused and nothing is written.
    fs.writeFileSync(p, 'port = 9090\nworkers = 2\n');
    const stale = await d.call('write-file', { server: 'box', path: p, content: 'port = 1\n', if_sha256: w.sha256 });
    expect(textOf(stale)).toMatch(/^Error \(write_conflict\): .*app\.conf changed since it was read/);
    expect(textOf(stale)).toContain(`its sha256 is now ${sha('port = 9090\nworkers = 2\n')}`);
    expect(fs.readFileSync(p, 'utf8')).toBe('port = 9090\nworkers = 2\n');
  });

  it('never shows a concurrent reader a half-written file', async () => {
    const p = path.join(dir, 'big.txt');
    const a = 'a'.repeat(512 * 1024) + '\n';
    const b = 'b'.repeat(700 * 1024) + '\n';
    fs.writeFileSync(p, a);
    // A reader on the server itself, hashing the file as fast as it can while deckhand replaces it.
    const reader = spawn('sh', ['-c', `while [ ! -e ${dir}/stop ]; do sha256sum < ${p}; done`]);
    const seen: string[] = [];
    let buf = '';
    reader.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) seen.push(l.slice(0, 64));
    });
    const exited = new Promise((r) => reader.once('exit', r));
    try {
      for (let i = 0; i < 6; i++) await write({ path: p, content: i % 2 ? a : b, backup: false });
    } finally {
      fs.writeFileSync(path.join(dir, 'stop'), '');
      await exited;
    }
    expect(seen.length).toBeGreaterThan(10);
    expect(new Set(seen)).toEqual(new Set([sha(a), sha(b)]));
  });

  it('creates parent directories when asked, lists a directory in pages, and names the path in errors', async () => {
    const p = path.join(dir, 'new', 'deep', 'file.txt');
    const missing = await d.call('write-file', { server: 'box', path: p, content: 'x' });
    expect(textOf(missing)).toMatch(/^Error \(file_not_found\): .*new\/deep\/file\.txt.*create_dirs: true/);
    const w = await write({ path: p, content: 'x\n', create_dirs: true });
    expect([w.created, w.diff.split('\n')[0]]).toEqual([true, '--- /dev/null']);
    for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(dir, 'new', `f${i}`), '');
    const first = await read({ path: path.join(dir, 'new'), length: 4 });
    expect([first.kind, first.total, first.entries?.map((e) => e.name)]).toEqual([
      'directory',
      6,
      ['deep', 'f0', 'f1', 'f2'],
    ]);
    const second = await read({ path: path.join(dir, 'new'), ...first.next });
    expect(second.entries?.map((e) => e.name)).toEqual(['f3', 'f4']);
    const dirWrite = await d.call('write-file', { server: 'box', path: path.join(dir, 'new'), content: 'x' });
    expect(textOf(dirWrite)).toMatch(/^Error \(not_a_regular_file\): .*\/new is a directory/);
    const rel = await d.call('read-file', { server: 'box', path: 'etc/passwd' });
    expect(textOf(rel)).toMatch(/^Error \(invalid_argument\): [^]*- path: must be an absolute path/);
  });
});
