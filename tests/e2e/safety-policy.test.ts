import BetterSqlite3 from 'better-sqlite3';
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/index.js';
import { runCli } from '../helpers/cli.js';
import { tempHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';
import { startStdio, textOf, type StdioSession } from '../helpers/mcp.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

/**
 * The policy matrix through the real binary over stdio, against real sshds. Every command that must be refused goes
 * to a server whose sshd replaces any command with `echo forced-by-test` (ForceCommand): should policy ever let one
 * through, the test fails on that output and nothing destructive runs on this machine.
 */
const REFUSED = ['rm -f x', 'echo x > f', "sh -c 'rm x'", 'find / -delete', '$(rm x)', 'sudo ls'];
const ALLOWED = ['ls -la', 'cat /etc/os-release | grep ID'];
const SECRET = 'sekrit-value-4242';

describe('safe hands through the MCP process: policy and audit', () => {
  let live: SshdHandle;
  let guarded: SshdHandle;
  let home: { dir: string; cleanup(): void };
  let mcp: StdioSession;
  const env = () => ({ DECKHAND_HOME: home.dir });
  const bash = (server: string, command: string, extra: Record<string, unknown> = {}) =>
    mcp.call('remote-bash', { server, command, mode: 'sync', ...extra });
  const exportAudit = (): AuditEntry[] => {
    const r = runCli(env(), ['audit', 'export']);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEntry);
  };
  const add = async (name: string, sshd: SshdHandle, extra: Record<string, unknown>) => {
    const r = await mcp.call('add-server', {
      name,
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      private_key_path: sshd.clientKey,
      ...extra,
    });
    expect(r.isError, textOf(r)).toBeFalsy();
  };

  beforeAll(async () => {
    [live, guarded] = await Promise.all([startSshd(), startSshd({ extraConfig: 'ForceCommand echo forced-by-test' })]);
    home = tempHome();
    mcp = await startStdio(env());
    await add('ro', live, { policy: { mode: 'read-only' } });
    // deny-guard first: registering a machine again is refused where an entry for it is read-only.
    await add('deny-guard', guarded, { policy: { deny: ['rm **'], allow: ['rm -f /tmp/x'] } });
    await add('ro-guard', guarded, { policy: { mode: 'read-only' } });
  }, 60_000);
  afterAll(async () => {
    await mcp?.close();
    await live?.stop();
    await guarded?.stop();
    home?.cleanup();
  });

  const refused = (r: CallToolResult) => {
    const text = textOf(r);
    expect(r.isError, text).toBe(true);
    expect(text).not.toContain('forced-by-test');
    return text;
  };

  it.each(REFUSED)('a read-only server refuses %s, saying why', async (command) => {
    const text = refused(await bash('ro-guard', command));
    expect(text).toMatch(/^Refused \(policy_denied\)/);
    expect(text).toContain('server ro-guard: refused, server ro-guard is read-only');
  });

  it('the reasons name the part and the rule', async () => {
    expect(refused(await bash('ro-guard', 'sudo ls'))).toMatch(/`sudo ls`: .*\(privileged\)/);
    expect(refused(await bash('ro-guard', '$(rm x)'))).toMatch(/`rm x`: rm deletes files \(destructive\)/);
    expect(refused(await bash('ro-guard', 'echo x > f'))).toMatch(/`> f`: .*\(destructive\)/);
  });

  it.each(ALLOWED)('a read-only server runs %s', async (command) => {
    const r = await bash('ro', command);
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ status: 'completed', exit_code: 0 });
    if (command.includes('grep ID')) expect(String(r.structuredContent?.['stdout'])).toMatch(/^ID=/m);
  });

  it('deny patterns win over allow patterns', async () => {
    const text = refused(await bash('deny-guard', 'rm -f /tmp/x'));
    expect(text).toMatch(/^Refused \(policy_denied\)/);
    expect(text).toContain('matches the deny pattern `rm **`');
    // …and look through wrappers.
    expect(refused(await bash('deny-guard', 'sudo env A=1 /bin/rm -f /tmp/x'))).toContain('`rm **`');
  });

  it('a read-only server refuses tool actions that change it, and its removal', async () => {
    const undeploy = refused(
      await mcp.call('undeploy-app', { server: 'ro-guard', app: 'web', remove_data: true, confirm: true }),
    );
    expect(undeploy).toMatch(/policy_denied[\s\S]*removes web and deletes its data/);
    expect(refused(await mcp.call('setup-server', { server: 'ro-guard' }))).toMatch(/policy_denied/);
    expect(refused(await mcp.call('remove-server', { name: 'ro-guard' }))).toMatch(
      /policy_denied[\s\S]*deckhand servers policy/,
    );
    // Registering the same machine again under another name would escape its policy.
    const again = refused(
      await mcp.call('add-server', {
        name: 'ro-again',
        host: guarded.host,
        port: guarded.port,
        user: guarded.user,
        private_key_path: guarded.clientKey,
      }),
    );
    expect(again).toMatch(/policy_denied[\s\S]*registers 127\.0\.0\.1:\d+ again, as "ro-again"/);
    const list = await mcp.call('list-servers', {});
    const servers = (list.structuredContent as { servers: { name: string; policy: unknown }[] }).servers;
    expect(servers.find((s) => s.name === 'ro-guard')?.policy).toEqual({ mode: 'read-only' });
    expect(servers.find((s) => s.name === 'deny-guard')?.policy).toEqual({
      mode: 'open',
      default: 'not env=prod',
      deny: ['rm **'],
      allow: ['rm -f /tmp/x'],
    });
  });

  it('audit: every changing call appears exactly once, with its outcome, and secrets masked', async () => {
    const before = exportAudit().length;
    const r = await bash('ro', `printenv API_TOKEN | wc -c; echo --password=${SECRET}`, { env: { API_TOKEN: SECRET } });
    expect(r.isError, textOf(r)).toBeFalsy();
    const jobId = String(r.structuredContent?.['job_id']);
    const denied = await bash('ro-guard', `rm -rf /srv/${SECRET}`, { env: { API_TOKEN: SECRET } });
    refused(denied);
    await waitFor(() => exportAudit().some((e) => e.event === 'outcome' && e.job_id === jobId), 'the outcome entry');
    const entries = exportAudit();
    const fresh = entries.slice(before);
    expect(JSON.stringify(entries)).not.toContain(SECRET);
    const calls = fresh.filter((e) => e.event === 'tool-call');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      tool: 'remote-bash',
      server: 'ro',
      decision: 'allow',
      class: 'read-only',
      job_id: jobId,
      who: { client: { name: 'deckhand-tests', version: '1.0.0' } },
      args: { env: { API_TOKEN: '***' } },
    });
    expect(calls[0]!.command).toContain('--password=***');
    expect(fresh.filter((e) => e.event === 'outcome' && e.job_id === jobId)).toEqual([
      expect.objectContaining({ outcome: 'completed', tool: 'remote-bash', server: 'ro' }),
    ]);
    const refusals = fresh.filter((e) => e.event === 'refusal');
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ server: 'ro-guard', decision: 'deny', class: 'destructive' });
    // Every call of this file: one entry each, no more.
    const all = entries.filter((e) => e.event === 'tool-call' || e.event === 'refusal');
    const jobIds = all.map((e) => e.job_id).filter(Boolean);
    expect(new Set(jobIds).size).toBe(jobIds.length);
    const outcomes = entries.filter((e) => e.event === 'outcome' && e.job_id);
    expect(new Set(outcomes.map((e) => e.job_id)).size).toBe(outcomes.length);
  });

  it('the chain survives a restart of deckhand, and verifies', async () => {
    const head = runCli(env(), ['audit', 'verify']);
    expect(head.code, head.stderr).toBe(0);
    const anchor = /head (\d+:[0-9a-f]{64})/.exec(head.stdout)?.[1];
    expect(anchor).toBeDefined();
    await mcp.close();
    mcp = await startStdio(env());
    const r = await bash('ro', 'uptime');
    expect(r.isError, textOf(r)).toBeFalsy();
    const again = runCli(env(), ['audit', 'verify', '--anchor', anchor!]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^ok: \d+ entries verify, including the anchor/);
    const tail = runCli(env(), ['audit', 'tail', '-n', '3', '--server', 'ro']);
    expect(tail.code, tail.stderr).toBe(0);
    expect(tail.stdout).toContain('uptime');
  });

  it('editing one row in the store makes audit verify name it', async () => {
    const entries = exportAudit();
    const victim = entries.find((e) => e.event === 'refusal')!;
    const db = new BetterSqlite3(path.join(home.dir, 'deckhand.db'));
    try {
      const row = db.prepare('select entry from audit_log where seq = ?').get(victim.seq) as { entry: string };
      const edited = row.entry.replace('"decision":"deny"', '"decision":"allow"');
      expect(edited).not.toBe(row.entry);
      db.prepare('update audit_log set entry = ? where seq = ?').run(edited, victim.seq);
    } finally {
      db.close();
    }
    const r = runCli(env(), ['audit', 'verify']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`entry ${victim.seq} was edited`);
  });
});
