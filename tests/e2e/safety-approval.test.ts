import fs from 'node:fs';
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/index.js';
import { runCli } from '../helpers/cli.js';
import { tempHome } from '../helpers/home.js';
import { startStdio, textOf, type StdioSession } from '../helpers/mcp.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

/**
 * A server labelled env=prod asks before anything destructive: through elicitation where the client can, through
 * `deckhand approve` (the built CLI, as a person runs it) where it cannot. The commands write marker files under
 * /tmp on this machine (the sshd's), so whether they ran is checked on the file system itself.
 */
describe('approval through MCP, failing closed (stdio binary, real sshd)', () => {
  let sshd: SshdHandle;
  let home: { dir: string; cleanup(): void };
  let plain: StdioSession;
  let asking: StdioSession;
  const asked: ElicitRequest['params'][] = [];
  let answer: (req: ElicitRequest['params']) => ElicitResult = () => ({ action: 'decline' });
  const marker = (name: string) => `/tmp/deckhand-approval-${process.pid}-${name}`;
  const env = () => ({ DECKHAND_HOME: home.dir });
  const touch = (s: StdioSession, name: string) =>
    s.call('remote-bash', { server: 'prod', command: `touch ${marker(name)}`, mode: 'sync' });
  const approvalId = (text: string) => /deckhand approve (apr_[0-9A-Z]{26})/.exec(text)?.[1];
  const audit = (): AuditEntry[] =>
    runCli(env(), ['audit', 'export'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry);

  beforeAll(async () => {
    sshd = await startSshd();
    home = tempHome();
    plain = await startStdio(env());
    asking = await startStdio(env(), {
      clientOptions: { capabilities: { elicitation: { form: {} } } },
      prepare: (c) =>
        c.setRequestHandler(ElicitRequestSchema, async (req) => {
          asked.push(req.params);
          return answer(req.params);
        }),
    });
    const r = await plain.call('add-server', {
      name: 'prod',
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      private_key_path: sshd.clientKey,
      labels: { env: 'prod' },
    });
    expect(r.isError, textOf(r)).toBeFalsy();
  }, 60_000);
  afterAll(async () => {
    await plain?.close();
    await asking?.close();
    await sshd?.stop();
    home?.cleanup();
    for (const f of fs.readdirSync('/tmp').filter((n) => n.startsWith(`deckhand-approval-${process.pid}-`)))
      fs.rmSync(`/tmp/${f}`, { force: true });
  });

  it('a client without elicitation is refused with an approval id; deckhand approve lets the same call run once', async () => {
    const first = await touch(plain, 'a');
    const text = textOf(first);
    expect(first.isError).toBe(true);
    expect(text).toMatch(/^Refused \(approval_pending\)/);
    expect(text).toContain('env=prod default');
    const id = approvalId(text)!;
    expect(id).toBeDefined();
    expect(fs.existsSync(marker('a'))).toBe(false);
    // Asking again does not make a second request: the same id, still waiting.
    expect(approvalId(textOf(await touch(plain, 'a')))).toBe(id);
    const listed = runCli(env(), ['approvals']);
    expect(listed.stdout).toContain(id);
    const approval = async () => {
      const c = (await plain.client.readResource({ uri: `deckhand://approvals/${id}` })).contents[0];
      return JSON.parse(c && 'text' in c ? c.text : '{}') as Record<string, unknown>;
    };
    expect(await approval()).toMatchObject({ id, status: 'pending', servers: ['prod'] });

    const approved = runCli(env(), ['approve', id]);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`touch ${marker('a')}`);
    expect(await approval()).toMatchObject({ status: 'approved' });

    const ran = await touch(plain, 'a');
    expect(ran.isError, textOf(ran)).toBeFalsy();
    expect(ran.structuredContent).toMatchObject({ status: 'completed', exit_code: 0 });
    expect(fs.existsSync(marker('a'))).toBe(true);

    // Used once: the next identical call asks anew.
    const again = await touch(plain, 'a');
    const next = approvalId(textOf(again));
    expect(next).toBeDefined();
    expect(next).not.toBe(id);
    const denied = runCli(env(), ['deny', next!]);
    expect(denied.code, denied.stderr).toBe(0);
    expect(textOf(await touch(plain, 'a'))).toMatch(/^Refused \(approval_denied\)/);
    // A decided request cannot be decided again.
    const late = runCli(env(), ['approve', next!]);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/already denied/);

    const entries = audit();
    const mine = entries.filter((e) => e.approval_id === id);
    expect(mine.map((e) => e.event)).toEqual(['approval-requested', 'refusal', 'approval-granted', 'tool-call']);
    expect(mine[2]!.who.person).toMatch(/^cli:/);
    const call = mine[3]!;
    expect(call).toMatchObject({ decision: 'allow', class: 'destructive', server: 'prod' });
    expect(entries.filter((e) => e.event === 'outcome' && e.job_id === call.job_id)).toHaveLength(1);
  });

  it('deckhand approve --for makes a grant: the same steps run without asking until it ends', async () => {
    const id = approvalId(textOf(await touch(plain, 'b')))!;
    const r = runCli(env(), ['approve', id, '--for', '5m']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Granted on prod until .*: touch \/tmp\/deckhand-approval-\d+-b \(grant_/);
    expect((await touch(plain, 'b')).isError).toBeFalsy();
    fs.rmSync(marker('b'));
    expect((await touch(plain, 'b')).isError).toBeFalsy();
    expect(fs.existsSync(marker('b'))).toBe(true);
    // Other words are not covered.
    expect(textOf(await touch(plain, 'c'))).toMatch(/^Refused \(approval_pending\)/);
    const grants = runCli(env(), ['grants', 'list', '--server', 'prod']);
    expect(grants.stdout).toContain(`touch ${marker('b')}`);
    const grantId = /(grant_[0-9A-Z]{26})/.exec(grants.stdout)![1]!;
    expect(runCli(env(), ['grants', 'revoke', grantId]).code).toBe(0);
    expect(textOf(await touch(plain, 'b'))).toMatch(/^Refused \(approval_pending\)/);
  });

  it('an elicitation-capable client asks the person: accept runs it, with a grant for the minutes given', async () => {
    asked.length = 0;
    answer = () => ({
      action: 'accept',
      content: { approve: true, allow_minutes: 5, pattern: `touch ${marker('e')}*` },
    });
    const r = await touch(asking, 'e1');
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(fs.existsSync(marker('e1'))).toBe(true);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.message).toContain(`touch ${marker('e1')}`);
    expect(asked[0]!.message).toContain('on prod');
    expect(asked[0]!.message).toMatch(/Asked by deckhand-tests 1\.0\.0 \(stdio\)/);
    // The grant covers the next step without a question.
    expect((await touch(asking, 'e2')).isError).toBeFalsy();
    expect(fs.existsSync(marker('e2'))).toBe(true);
    expect(asked).toHaveLength(1);
  });

  it('decline refuses and says so; the same call then stays refused without asking again', async () => {
    asked.length = 0;
    answer = () => ({ action: 'decline' });
    const r = await touch(asking, 'd');
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/^Refused \(approval_declined\): Not run: the person declined/);
    expect(fs.existsSync(marker('d'))).toBe(false);
    const again = await touch(asking, 'd');
    expect(textOf(again)).toMatch(/^Refused \(approval_denied\)/);
    expect(asked).toHaveLength(1);
    // Accepting without ticking "Run it" is a no as well.
    answer = () => ({ action: 'accept', content: { approve: false } });
    expect(textOf(await touch(asking, 'd2'))).toMatch(/did not tick "Run it"/);
    expect(fs.existsSync(marker('d2'))).toBe(false);
  });

  it('read-only work on the ask server runs without asking', async () => {
    asked.length = 0;
    const r = await asking.call('remote-bash', { server: 'prod', command: 'cat /etc/hostname', mode: 'sync' });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(asked).toHaveLength(0);
  });
});
