import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/index.js';
import { tempHome } from '../helpers/home.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { structured, textOf } from '../helpers/mcp.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';
import { waitFor } from '../helpers/wait.js';

/**
 * write-file and transfer-file go through the safety gate like remote-bash: a read-only server refuses them, an
 * "ask" server asks a person before a file is replaced, deny patterns name files as `write-file <path>` (resolved
 * through symlinks), and every call is in the audit log without the content. The sshd is this machine's, so what
 * was (not) written is checked on the file system itself.
 */
describe('file tools through the safety gate (in-process MCP, real sshd)', () => {
  let sshd: SshdHandle;
  let home: ReturnType<typeof tempHome>;
  let dir: string;
  let root: string;
  let d: InProcess;
  const asked: ElicitRequest['params'][] = [];
  let answer: () => ElicitResult = () => ({ action: 'decline' });
  const audit = async () => {
    const out: AuditEntry[] = [];
    for await (const e of d.app.services.audit.all()) out.push(e);
    return out;
  };
  const add = async (name: string, policy: Record<string, unknown>) => {
    const r = await d.call('add-server', {
      name,
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      private_key_path: sshd.clientKey,
      host_key_fingerprint: sshd.hostKeyFingerprint,
      policy,
    });
    expect(r.isError, textOf(r)).toBeFalsy();
  };

  beforeAll(async () => {
    sshd = await startSshd({ extraConfig: 'Subsystem sftp /usr/lib/openssh/sftp-server' });
    home = tempHome();
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-file-safety-')));
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-file-safety-root-'));
    d = await startInProcess(
      { DECKHAND_HOME: home.dir, DECKHAND_FILES_ROOT: root },
      { clientCapabilities: { capabilities: { elicitation: { form: {} } } } },
    );
    d.client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params);
      return answer();
    });
    await add('asky', { mode: 'ask', deny: [`write-file ${dir}/protected/**`] });
    // Both names are the same sshd: registering it again is privileged on "asky", so the person approves it.
    answer = () => ({ action: 'accept', content: { approve: true } });
    await add('ro', { mode: 'read-only' });
  }, 60_000);
  afterAll(async () => {
    await d?.close();
    await sshd?.stop();
    home?.cleanup();
    for (const p of [dir, root]) if (p) fs.rmSync(p, { recursive: true, force: true });
  });

  it('a read-only server refuses write-file and an upload and writes nothing; read-file and a download still work', async () => {
    const target = path.join(dir, 'ro-new.txt');
    const refused = await d.call('write-file', { server: 'ro', path: target, content: 'password=hunter2\n' });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/^Refused \(policy_denied\)/);
    expect(textOf(refused)).toContain(`creates the file ${target} (change)`);
    expect(fs.existsSync(target)).toBe(false);

    fs.writeFileSync(path.join(root, 'up.bin'), 'payload');
    const upload = await d.call('transfer-file', {
      server: 'ro',
      direction: 'upload',
      local_path: 'up.bin',
      remote_path: path.join(dir, 'uploaded.bin'),
    });
    expect(textOf(upload)).toMatch(/^Refused \(policy_denied\)/);
    expect(fs.existsSync(path.join(dir, 'uploaded.bin'))).toBe(false);

    fs.writeFileSync(path.join(dir, 'readable.txt'), 'hello\n');
    const read = await d.call('read-file', { server: 'ro', path: path.join(dir, 'readable.txt') });
    expect(structured<{ content: string }>(read).content).toBe('hello\n');
    const down = await d.call('transfer-file', {
      server: 'ro',
      direction: 'download',
      local_path: 'readable.txt',
      remote_path: path.join(dir, 'readable.txt'),
      sync_wait_s: 20,
    });
    expect(down.isError, textOf(down)).toBeFalsy();
    await waitFor(() => fs.existsSync(path.join(root, 'readable.txt')), 'the download to land');

    const entries = await audit();
    const refusal = entries.find((e) => e.event === 'refusal' && e.tool === 'write-file' && e.server === 'ro');
    expect(refusal).toMatchObject({ decision: 'deny', class: 'change', outcome: 'refused by policy' });
    // The content is not recorded (it may hold secrets): its size and sha256 are.
    expect(JSON.stringify(refusal)).not.toContain('hunter2');
    expect(refusal!.args).toMatchObject({ path: target, bytes: 17 });
    expect(entries.filter((e) => e.tool === 'transfer-file' && e.event === 'refusal')).toHaveLength(1);
    const download = entries.find((e) => e.tool === 'transfer-file' && e.event === 'tool-call');
    expect(download).toMatchObject({ server: 'ro', decision: 'allow', class: 'change' });
    expect(download!.job_id).toBeDefined();
    expect(entries.filter((e) => e.tool === 'read-file')).toHaveLength(0);
  });

  it('an ask server creates a new file without asking, and asks before replacing one: decline keeps it, accept replaces it', async () => {
    const file = path.join(dir, 'app.conf');
    asked.length = 0;
    const created = await d.call('write-file', { server: 'asky', path: file, content: 'v1\n' });
    expect(created.isError, textOf(created)).toBeFalsy();
    expect(asked).toHaveLength(0);

    answer = () => ({ action: 'decline' });
    const declined = await d.call('write-file', { server: 'asky', path: file, content: 'v2\n' });
    expect(textOf(declined)).toMatch(/^Refused \(approval_declined\)/);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.message).toContain(`replaces the existing file ${file} (a backup is kept)`);
    expect(fs.readFileSync(file, 'utf8')).toBe('v1\n');

    // A declined call stays refused for the approval's time; other content is another call, asked anew.
    expect(textOf(await d.call('write-file', { server: 'asky', path: file, content: 'v2\n' }))).toMatch(
      /^Refused \(approval_denied\)/,
    );
    answer = () => ({ action: 'accept', content: { approve: true } });
    const replaced = await d.call('write-file', { server: 'asky', path: file, content: 'v3\n' });
    expect(replaced.isError, textOf(replaced)).toBeFalsy();
    expect(asked).toHaveLength(2);
    expect(fs.readFileSync(file, 'utf8')).toBe('v3\n');

    const mine = (await audit()).filter((e) => e.tool === 'write-file' && e.server === 'asky');
    expect(mine.map((e) => [e.event, e.class ?? null, e.outcome ?? null])).toEqual([
      ['tool-call', 'change', null],
      ['outcome', null, 'succeeded'],
      ['approval-requested', 'destructive', 'pending'],
      ['approval-denied', null, null],
      ['refusal', 'destructive', 'denied by a person'],
      ['approval-requested', 'destructive', 'pending'],
      ['approval-granted', null, null],
      ['tool-call', 'destructive', null],
      ['outcome', null, 'succeeded'],
    ]);
  });

  it('refuses the write when the file changed while the person was asked: what was approved is what is written', async () => {
    const file = path.join(dir, 'moving.conf');
    fs.writeFileSync(file, 'old\n');
    answer = () => {
      // The file goes away while the approval is asked: the write would now create it, which is not what was judged.
      fs.rmSync(file);
      return { action: 'accept', content: { approve: true } };
    };
    const r = await d.call('write-file', { server: 'asky', path: file, content: 'new\n' });
    expect(textOf(r)).toMatch(/write_conflict|changed while the write was being approved/);
    expect(textOf(r)).toContain('policy judged an existing file');
    expect(fs.existsSync(file)).toBe(false);
    const outcome = (await audit()).filter((e) => e.tool === 'write-file' && e.event === 'outcome').at(-1);
    expect(outcome?.outcome).toMatch(/^failed: write_conflict/);
  });

  it('a deny pattern catches a write through a symlinked directory, by where it lands', async () => {
    fs.mkdirSync(path.join(dir, 'protected'));
    fs.symlinkSync(path.join(dir, 'protected'), path.join(dir, 'innocent'));
    const via = path.join(dir, 'innocent', 'x.txt');
    const r = await d.call('write-file', { server: 'asky', path: via, content: 'x' });
    expect(textOf(r)).toMatch(/^Refused \(policy_denied\)/);
    expect(textOf(r)).toContain(`matches the deny pattern \`write-file ${dir}/protected/**\``);
    expect(fs.existsSync(path.join(dir, 'protected', 'x.txt'))).toBe(false);
    // An upload there is a write-file of that path too.
    fs.writeFileSync(path.join(root, 'y.bin'), 'y');
    const up = await d.call('transfer-file', {
      server: 'asky',
      direction: 'upload',
      local_path: 'y.bin',
      remote_path: path.join(dir, 'innocent', 'y.bin'),
    });
    expect(textOf(up)).toMatch(/^Refused \(policy_denied\)/);
  });
});
