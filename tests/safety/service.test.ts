import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, type AuditEntry } from '../../src/audit/index.js';
import type { Stores } from '../../src/jobs/store/contract.js';
import { openSqliteStores } from '../../src/jobs/store/sqlite/index.js';
import { Inventory, type ServerRecord } from '../../src/servers/index.js';
import { SafetyService, type Admission, type AdmitRequest, type Caller } from '../../src/safety/index.js';
import { recordMissedOutcomes } from '../../src/audit/index.js';
import { SafetyHousekeeper } from '../../src/safety/housekeeping.js';
import { useRealEngine } from '../policy/engine.js';

const policy = useRealEngine();
const MIN = 60_000;
const TTL = 10 * MIN;

function server(name: string, over: Partial<ServerRecord> = {}): ServerRecord {
  return {
    name,
    host: '10.0.0.1',
    port: 22,
    user: 'root',
    auth: {},
    host_key_fingerprint: 'SHA256:x',
    labels: {},
    added_at: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

/** A SafetyService on a real SQLite store, with a clock the test moves. */
describe('SafetyService', () => {
  let home: string;
  let stores: Stores;
  let clock: number;
  let safety: SafetyService;
  let audit: AuditLog;
  const errors: unknown[] = [];
  const caller: Caller = { via: 'stdio', client: { name: 'test-client', version: '1' } };
  const cmd = (srv: string, command: string, over: Partial<AdmitRequest> = {}): AdmitRequest => ({
    tool: 'remote-bash',
    targets: [{ server: srv, action: { kind: 'command', command } }],
    args: { server: srv, command },
    command,
    startsJob: true,
    caller,
    ...over,
  });
  const refusal = (a: Admission) => {
    if (a.ok) throw new Error('expected a refusal');
    return a.refusal;
  };
  const entries = async (): Promise<AuditEntry[]> => {
    const out: AuditEntry[] = [];
    for await (const e of audit.all()) out.push(e);
    return out;
  };

  beforeEach(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-safety-'));
    stores = await openSqliteStores({ home, instance: { id: 'inst-t', host: 'h', pid: 1 } });
    const inventory = new Inventory(stores.inventory as never);
    await inventory.add(server('web', { labels: { env: 'prod' } }));
    await inventory.add(server('dev'));
    await inventory.add(server('ro', { policy: { mode: 'read-only' } }));
    await inventory.add(server('broken', { policy: { mode: 'sometimes' } as never }));
    clock = Date.parse('2026-06-01T10:00:00Z');
    const now = () => new Date(clock);
    audit = new AuditLog({ sink: stores.audit, instance: 'inst-t', now });
    safety = new SafetyService({
      engine: async () => policy.engine,
      store: stores.safety,
      inventory,
      audit,
      approvalTtlMs: TTL,
      now,
      onError: (err) => errors.push(err),
    });
  });
  afterEach(async () => {
    await stores.close();
    fs.rmSync(home, { recursive: true, force: true });
    expect(errors).toEqual([]);
  });

  it('a pending request expires after the TTL: too late to approve, and the call asks anew', async () => {
    const first = refusal(await safety.admit(cmd('web', 'rm -rf /srv/cache')));
    expect(first.code).toBe('approval_pending');
    clock += TTL + 1;
    await expect(safety.approve(first.approval!.id, { by: 'alice' })).rejects.toMatchObject({
      code: 'approval_expired',
    });
    expect((await safety.approval(first.approval!.id)).status).toBe('expired');
    const second = refusal(await safety.admit(cmd('web', 'rm -rf /srv/cache')));
    expect(second.approval!.id).not.toBe(first.approval!.id);
    expect(await safety.pending()).toEqual([expect.objectContaining({ id: second.approval!.id })]);
  });

  it('an approval lets the call through only within the TTL after it was given', async () => {
    const asked = refusal(await safety.admit(cmd('web', 'systemctl restart nginx')));
    clock += 5 * MIN;
    await safety.approve(asked.approval!.id, { by: 'alice' });
    clock += TTL - 1;
    const ok = await safety.admit(cmd('web', 'systemctl restart nginx'));
    expect(ok).toMatchObject({ ok: true, personApproved: true });
    const again = refusal(await safety.admit(cmd('web', 'systemctl restart nginx')));
    await safety.approve(again.approval!.id, { by: 'alice' });
    clock += TTL + 1;
    expect(refusal(await safety.admit(cmd('web', 'systemctl restart nginx'))).code).toBe('approval_pending');
  });

  it('a grant lasts its minutes, then the same command asks again', async () => {
    const asked = refusal(await safety.admit(cmd('web', 'systemctl restart app')));
    const { grants } = await safety.approve(asked.approval!.id, {
      by: 'alice',
      minutes: 30,
      pattern: 'systemctl restart *',
    });
    expect(grants).toMatchObject([{ server: 'web', pattern: 'systemctl restart *' }]);
    expect(await safety.admit(cmd('web', 'systemctl restart app'))).toMatchObject({ ok: true });
    expect(await safety.admit(cmd('web', 'systemctl restart db'))).toMatchObject({ ok: true });
    // A grant is for its server only, and never opens a read-only one.
    expect(refusal(await safety.admit(cmd('ro', 'systemctl restart db'))).code).toBe('policy_denied');
    clock += 30 * MIN;
    expect(refusal(await safety.admit(cmd('web', 'systemctl restart db'))).code).toBe('approval_pending');
  });

  it("the caller's token policy applies on top of the server's: the stricter wins", async () => {
    const ci: Caller = { ...caller, via: 'http', token: { name: 'ci', policy: { mode: 'read-only' } } };
    const denied = refusal(await safety.admit(cmd('dev', 'touch /tmp/x', { caller: ci })));
    expect(denied.code).toBe('policy_denied');
    expect(denied.message).toContain('token ci: refused, token ci is read-only');
    expect(await safety.admit(cmd('dev', 'ls /tmp', { caller: ci }))).toMatchObject({ ok: true });
    const ops: Caller = { ...caller, via: 'http', token: { name: 'ops', policy: { mode: 'ask' } } };
    expect(refusal(await safety.admit(cmd('dev', 'rm /tmp/x', { caller: ops }))).code).toBe('approval_pending');
    // A token that denies a pattern denies it everywhere, whatever the server allows.
    const careful: Caller = { ...caller, via: 'http', token: { name: 'careful', policy: { deny: ['reboot'] } } };
    expect(refusal(await safety.admit(cmd('dev', 'sudo reboot', { caller: careful }))).message).toContain(
      'token careful: `sudo reboot` matches the deny pattern `reboot`',
    );
  });

  it('a call on several servers: one refusal refuses it all; approval items come from the servers that ask', async () => {
    const many = (command: string, servers: string[]): AdmitRequest => ({
      ...cmd(servers[0]!, command),
      targets: servers.map((s) => ({ server: s, action: { kind: 'command' as const, command } })),
    });
    expect(refusal(await safety.admit(many('rm -f /tmp/x', ['dev', 'ro']))).code).toBe('policy_denied');
    const asked = refusal(await safety.admit(many('rm -f /tmp/x', ['dev', 'web'])));
    expect(asked.code).toBe('approval_pending');
    expect(asked.approval!.items).toEqual([expect.objectContaining({ server: 'web', text: 'rm -f /tmp/x' })]);
    expect(await safety.admit(many('uptime', ['dev', 'web', 'ro']))).toMatchObject({ ok: true });
  });

  it('a stored policy that does not validate refuses every call on that server', async () => {
    await expect(safety.admit(cmd('broken', 'ls'))).rejects.toMatchObject({ code: 'policy_invalid' });
  });

  it('a client that fails to ask leaves the request pending for the CLI', async () => {
    const r = refusal(
      await safety.admit(
        cmd('web', 'rm -f /tmp/y', {
          asker: { ask: () => Promise.reject(new Error('client went away')) },
        }),
      ),
    );
    expect(r.code).toBe('approval_pending');
    expect(r.message).toContain('could not ask the person (client went away)');
    expect((await safety.approval(r.approval!.id)).status).toBe('pending');
  });

  it('records the call before it runs and its outcome after, once', async () => {
    const ok = await safety.admit({
      tool: 'add-server',
      targets: [{ server: null, action: { kind: 'tool', tool: 'add-server', class: 'change', why: 'registers' } }],
      args: { name: 'x', password: 'hunter22' },
      caller,
    });
    if (!ok.ok) throw new Error('refused');
    expect(await ok.run(async () => 'done')).toBe('done');
    const failing = await safety.admit(cmd('dev', 'uptime'));
    if (!failing.ok) throw new Error('refused');
    await expect(failing.run(() => Promise.reject(new Error('unreachable')))).rejects.toThrow('unreachable');
    const all = await entries();
    expect(all.map((e) => [e.event, e.tool, e.outcome])).toEqual([
      ['tool-call', 'add-server', undefined],
      ['outcome', 'add-server', 'succeeded'],
      ['tool-call', 'remote-bash', undefined],
      ['outcome', 'remote-bash', 'not started: unreachable'],
    ]);
    expect(all[0]).toMatchObject({
      args: { name: 'x', password: '***' },
      reasons: ['no server policy applies to add-server'],
    });
    expect(all[1]!.ref).toBe(all[0]!.seq);
    expect(all[3]).toMatchObject({ job_id: all[2]!.job_id, ref: all[2]!.seq });
    expect(all[2]!.job_id).toBe(failing.jobId);
    expect(await audit.verify()).toMatchObject({ ok: true, count: 4 });
  });

  it('retention removes what is older than the audit retention and expired requests, and the rest still verifies', async () => {
    const asked = refusal(await safety.admit(cmd('web', 'rm -rf /srv/old')));
    clock += 400 * 24 * 60 * MIN;
    const young = refusal(await safety.admit(cmd('web', 'rm -rf /srv/new')));
    const keeper = new SafetyHousekeeper({
      audit,
      store: stores.safety,
      auditRetainDays: 365,
      onError: (err) => errors.push(err),
      everyMs: 3_600_000,
      now: () => clock,
    });
    keeper.start();
    await keeper.close();
    const kept = await entries();
    expect(kept.map((e) => e.approval_id)).toEqual([young.approval!.id]);
    expect(await audit.verify()).toMatchObject({ ok: true, count: 1 });
    await expect(safety.approval(asked.approval!.id)).rejects.toMatchObject({ code: 'unknown_approval' });
    expect((await safety.approval(young.approval!.id)).status).toBe('pending');
  });

  it('a job end nobody recorded is caught up once, by the sweep; a job still running is left alone', async () => {
    const ended = await safety.admit(cmd('dev', 'uptime'));
    const running = await safety.admit(cmd('dev', 'sleep 100'));
    if (!ended.ok || !running.ok) throw new Error('refused');
    const now = clock;
    for (const id of [ended.jobId!, running.jobId!])
      await stores.jobs.create([{ id, type: 'remote-bash', server: 'dev', params: {}, timeout_s: 60 }], now);
    await stores.jobs.update(ended.jobId!, (j) => ({
      ...j,
      status: 'failed',
      exit_code: 3,
      finished_at: new Date(now).toISOString(),
    }));
    const sweep = () =>
      recordMissedOutcomes({ audit, getJob: (id) => stores.jobs.get(id), since: new Date(now - MIN) });
    expect(await sweep()).toBe(1);
    expect(await sweep()).toBe(0);
    const outcomes = (await entries()).filter((e) => e.event === 'outcome');
    expect(outcomes).toEqual([expect.objectContaining({ job_id: ended.jobId, outcome: 'failed (exit 3)' })]);
  });

  it('an approval request keeps and shows the command with its secrets masked', async () => {
    const r = refusal(
      await safety.admit(
        cmd('web', 'curl -X DELETE -H "Authorization: Bearer abc123secret" https://api/x --password=p4ssw0rd-x', {
          secrets: ['p4ssw0rd-x'],
        }),
      ),
    );
    const shown = JSON.stringify(await safety.approval(r.approval!.id));
    expect(shown).toContain('Bearer ***');
    expect(shown).not.toContain('abc123secret');
    expect(shown).not.toContain('p4ssw0rd-x');
  });
});
