// The dashboard's batches, approvals, audit, reachability, run again and retry over a real app (createApp with its
// engine running), a real MCP client in process (without elicitation, as most clients are) and two real sshds.
// Over HTTP, as a browser posts its forms; browser.e2e.test.ts drives the same pages in Chromium.
import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/index.js';
import { createDashboard, defaultSources, serveDashboard, type DashboardServer } from '../../src/dashboard/index.js';
import { ReachabilityProber } from '../../src/dashboard/reachability.js';
import { silentLogger } from '../../src/logger.js';
import { csrfOf, rawRequest, type RawResponse } from '../helpers/dashboard.js';
import { tempHome } from '../helpers/home.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { structured, textOf } from '../helpers/mcp.js';
import { remoteProcessCount, uniqueSleep } from '../helpers/openssh.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'safe-hands-dashboard-token-0123456789';

interface Site {
  readonly server: DashboardServer;
  readonly origin: string;
  cookie: string;
}

describe('dashboard: batches, approvals, audit, reachability, run again (real app, two sshds)', () => {
  let sshd1: SshdHandle;
  let sshd2: SshdHandle;
  let home: { dir: string; cleanup(): void };
  let dh: InProcess;
  let full: Site;
  let readonly: Site;
  let prober: ReachabilityProber;
  const marker = (name: string) => `/tmp/deckhand-dash2-${process.pid}-${name}`;

  const call = async (name: string, args: Record<string, unknown>) => dh.call(name, args);
  const host = (s: Site) => `127.0.0.1:${s.server.port}`;
  const get = (s: Site, path: string) =>
    rawRequest(s.server.port, { path, headers: { host: host(s), cookie: s.cookie } });
  async function post(s: Site, path: string, fields: Record<string, string> = {}): Promise<RawResponse> {
    const csrf = csrfOf((await get(s, '/')).body);
    return rawRequest(s.server.port, {
      method: 'POST',
      path,
      headers: {
        host: host(s),
        origin: s.origin,
        cookie: s.cookie,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ csrf, ...fields }).toString(),
    });
  }
  async function site(mode: 'full' | 'readonly'): Promise<Site> {
    const s = dh.app.services;
    const dashboard = createDashboard({
      sources: defaultSources({
        jobs: s.jobs,
        servers: s.servers,
        config: dh.app.config,
        remoteBash: s.remoteBash,
        safety: s.safety,
        audit: s.audit,
        reachability: async (name) => prober.state(name),
      }),
      token: { token: TOKEN, source: { kind: 'env' } },
      tokenName: 'default',
      mode,
      allowedHosts: ['127.0.0.1'],
      allowedOrigins: [],
      version: 'test',
      logger: silentLogger(),
    });
    const server = await serveDashboard(dashboard, silentLogger(), { host: '127.0.0.1', port: 0 });
    const origin = `http://127.0.0.1:${server.port}`;
    const login = await rawRequest(server.port, {
      method: 'POST',
      path: '/login',
      headers: { host: `127.0.0.1:${server.port}`, origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: TOKEN, name: mode === 'full' ? 'alice' : 'rita', next: '/' }).toString(),
    });
    expect(login.status).toBe(303);
    return { server, origin, cookie: (login.headers['set-cookie']?.[0] ?? '').split(';')[0] as string };
  }
  const auditEntries = async (): Promise<AuditEntry[]> => {
    const out: AuditEntry[] = [];
    for await (const e of dh.app.services.audit.all()) out.push(e);
    return out;
  };
  const approvalId = (text: string) => /deckhand approve (apr_[0-9A-Z]{26})/.exec(text)?.[1];
  const jobParams = async (id: string) => (await dh.app.services.jobs.get(id)).params;

  beforeAll(async () => {
    [sshd1, sshd2] = await Promise.all([startSshd(), startSshd()]);
    home = tempHome();
    dh = await startInProcess({ DECKHAND_HOME: home.dir, DECKHAND_HTTP_TOKEN: TOKEN });
    const add = async (name: string, d: SshdHandle, labels: Record<string, string>) => {
      const r = await call('add-server', {
        name,
        host: d.host,
        port: d.port,
        user: d.user,
        private_key_path: d.clientKey,
        labels,
      });
      expect(r.isError, textOf(r)).toBeFalsy();
    };
    await add('web-1', sshd1, { role: 'web' });
    await add('web-2', sshd2, { role: 'web' });
    // Same machine as web-1, but labelled env=prod: policy asks a person before anything destructive.
    await add('prod', sshd1, { env: 'prod' });
    prober = new ReachabilityProber({
      list: async () => (await dh.app.services.servers.list()).map((s) => s.name),
      check: (name, signal) => dh.app.services.servers.checkAnswers(name, signal),
      intervalMs: 300,
    });
    full = await site('full');
    readonly = await site('readonly');
  }, 120_000);

  afterAll(async () => {
    await full?.server.close();
    await readonly?.server.close();
    await prober?.close();
    await dh?.close();
    await Promise.all([sshd1?.stop(), sshd2?.stop()]);
    home?.cleanup();
    for (const f of fs.readdirSync('/tmp').filter((n) => n.startsWith(`deckhand-dash2-${process.pid}-`)))
      fs.rmSync(`/tmp/${f}`, { force: true });
  });

  it('shows a real batch over two sshds: failures first, outputs grouped, retry and run again linked', async () => {
    // web-2 (the second sshd's port) fails; web-1 prints the same as... itself, so one group each.
    const command = `echo same; [ "\${SSH_CONNECTION##* }" = "${sshd2.port}" ] && { echo broken >&2; exit 3; }; true`;
    const r = await call('remote-bash', { servers: ['web-1', 'web-2'], command, mode: 'sync' });
    const batchId = structured<{ job_id: string }>(r).job_id;
    const list = await get(full, '/batches');
    expect(list.status).toBe(200);
    expect(list.body).toContain(`/batches/${batchId}`);
    expect(list.body).toContain('2/2 done, 1 failed');
    const page = await get(full, `/batches/${batchId}`);
    expect(page.status).toBe(200);
    const rows = [...page.body.matchAll(/<tr data-job="(job_[0-9A-Z]{26})">\s*<td>([\w-]+)<\/td>/g)];
    expect(rows.map((m) => m[2])).toEqual(['web-2', 'web-1']);
    expect(page.body).toMatch(/<span class="servers">web-2<\/span>\s*<span class="muted">\(1 server\): failed: exit 3/);
    expect(page.body).toContain('broken');
    expect(page.body).toMatch(/<span class="servers">web-1<\/span>\s*<span class="muted">\(1 server\): exit 0/);
    expect(page.body).not.toContain('data-events');

    // Read-only: the same page without a form, and the posts refused.
    const ro = await get(readonly, `/batches/${batchId}`);
    expect(ro.body).toContain('web-2');
    expect(ro.body).not.toMatch(/\/(retry|run-again)"/);
    expect((await post(readonly, `/jobs/${batchId}/retry`)).status).toBe(403);
    expect((await post(readonly, `/jobs/${batchId}/run-again`)).status).toBe(403);
    expect((await dh.app.services.jobs.list({ type: 'batch' }, 10)).jobs).toHaveLength(1);

    const retry = await post(full, `/jobs/${batchId}/retry`);
    expect(retry.status, retry.body).toBe(303);
    const retried = /^\/batches\/(job_[0-9A-Z]{26})$/.exec(retry.headers.location ?? '')?.[1] as string;
    expect(await jobParams(retried)).toMatchObject({ retry_of: batchId, servers: ['web-2'] });
    const again = await post(full, `/jobs/${batchId}/run-again`);
    const rerun = /^\/batches\/(job_[0-9A-Z]{26})$/.exec(again.headers.location ?? '')?.[1] as string;
    expect(await jobParams(rerun)).toMatchObject({ rerun_of: batchId, servers: ['web-1', 'web-2'], command });
    await dh.app.services.jobs.wait(rerun, 30_000);
    const rerunPage = await get(full, `/batches/${rerun}`);
    expect(rerunPage.body).toContain(`repeats <a href="/batches/${batchId}">`);
    // The dashboard's calls are in the audit log as the person logged in, like an assistant's.
    const calls = (await auditEntries()).filter((e) => e.event === 'tool-call' && e.job_id === rerun);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.who.person).toBe('dashboard:alice@127.0.0.1');
    expect(calls[0]!.who.token).toBe('default');
  });

  it('follows a running batch live and cancels every child from the page', async () => {
    const secs = uniqueSleep();
    const r = await call('remote-bash', { servers: ['web-1', 'web-2'], command: `sleep ${secs}`, mode: 'background' });
    const id = structured<{ job_id: string }>(r).job_id;
    const page = await get(full, `/batches/${id}`);
    expect(page.body).toContain(`data-events="/batches/${id}/events"`);
    const events: string[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      const req = http.get(
        {
          host: '127.0.0.1',
          port: full.server.port,
          path: `/batches/${id}/events`,
          headers: { host: host(full), cookie: full.cookie },
        },
        (res) => {
          res.setEncoding('utf8');
          res.on('data', (d: string) => events.push(d));
          res.on('end', () => resolve());
        },
      );
      req.on('error', reject);
    });
    await waitFor(() => events.join('').includes('"running"'), 'the batch running on the stream');
    // Both sshds run on this machine: one pgrep sees the two servers' processes.
    await waitFor(() => remoteProcessCount(sshd1, `sleep ${secs}`) === 2, 'both sleeps');
    const cancel = await post(full, `/jobs/${id}/cancel`);
    expect(cancel.status).toBe(303);
    await ended;
    const stream = events.join('');
    expect(stream).toContain('event: batch');
    expect(stream).toMatch(/event: end\ndata: \{"status":"cancelled"\}/);
    expect(remoteProcessCount(sshd1, `sleep ${secs}`)).toBe(0);
    const after = await get(full, `/batches/${id}`);
    expect(after.body.match(/status-cancelled/g)?.length).toBeGreaterThanOrEqual(3);
    // The cancel is in the audit log in the person's name, as cancel-job records an assistant's.
    const cancels = (await auditEntries()).filter(
      (e) => e.event === 'tool-call' && e.tool === 'cancel-job' && JSON.stringify(e.args ?? {}).includes(id),
    );
    expect(cancels).toHaveLength(1);
    expect(cancels[0]!.who.person).toBe('dashboard:alice@127.0.0.1');
  });

  it('approves from the dashboard: a pending ask call of an MCP client then runs; deny refuses it', async () => {
    const touch = (name: string) =>
      call('remote-bash', { server: 'prod', command: `touch ${marker(name)}`, mode: 'sync' });
    const first = await touch('a');
    expect(textOf(first)).toMatch(/^Refused \(approval_pending\)/);
    const id = approvalId(textOf(first)) as string;
    const list = await get(full, '/approvals');
    expect(list.status).toBe(200);
    expect(list.body).toContain(`id="${id}"`);
    expect(list.body).toContain(`touch ${marker('a')}`);
    expect(list.body).toContain('remote-bash');
    expect(list.body).toContain('in-process 1 (stdio)');
    expect(list.body).toContain('Decide before');
    expect(list.body).toContain(`action="/approvals/${id}/approve"`);

    // Read-only: no form, and a forged post is refused; the request stays pending.
    const ro = await get(readonly, '/approvals');
    expect(ro.body).toContain(id);
    expect(ro.body).not.toContain(`action="/approvals/${id}/approve"`);
    const refused = await post(readonly, `/approvals/${id}/approve`);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('read-only');
    expect((await dh.app.services.safety.approval(id)).status).toBe('pending');

    const ok = await post(full, `/approvals/${id}/approve`);
    expect(ok.status, ok.body).toBe(303);
    expect(ok.headers.location).toBe('/approvals?done=approved');
    const ran = await touch('a');
    expect(ran.isError, textOf(ran)).toBeFalsy();
    expect(fs.existsSync(marker('a'))).toBe(true);

    const second = approvalId(textOf(await touch('b'))) as string;
    expect((await post(full, `/approvals/${second}/deny`)).status).toBe(303);
    expect(textOf(await touch('b'))).toMatch(/^Refused \(approval_denied\)/);
    expect(fs.existsSync(marker('b'))).toBe(false);
    // Deciding twice says so.
    const late = await post(full, `/approvals/${second}/approve`);
    expect(late.status).toBe(409);
    expect(late.body).toContain('already denied');

    const entries = await auditEntries();
    const granted = entries.find((e) => e.event === 'approval-granted' && e.approval_id === id);
    expect(granted?.who.person).toBe('dashboard:alice@127.0.0.1');
    const denied = entries.find((e) => e.event === 'approval-denied' && e.approval_id === second);
    expect(denied?.who.person).toBe('dashboard:alice@127.0.0.1');
    const logins = entries.filter((e) => e.event === 'dashboard-login');
    expect(logins.map((e) => e.who.person)).toEqual(
      expect.arrayContaining(['dashboard:alice@127.0.0.1', 'dashboard:rita@127.0.0.1']),
    );
  });

  it('runs a job again or retries it through the gate: linked, confirmed where policy asks, refused without its env', async () => {
    const failed = await call('remote-bash', { server: 'web-1', command: 'echo once; exit 4', mode: 'sync' });
    const failedId = structured<{ job_id: string }>(failed).job_id;
    const page = await get(full, `/jobs/${failedId}`);
    expect(page.body).toContain(`action="/jobs/${failedId}/retry"`);
    expect(page.body).toContain(`action="/jobs/${failedId}/run-again"`);
    const retry = await post(full, `/jobs/${failedId}/retry`);
    expect(retry.status, retry.body).toBe(303);
    const retryId = /^\/jobs\/(job_[0-9A-Z]{26})\?done=again$/.exec(retry.headers.location ?? '')?.[1] as string;
    expect(await jobParams(retryId)).toMatchObject({ command: 'echo once; exit 4', retry_of: failedId });
    expect((await dh.app.services.jobs.wait(retryId, 30_000)).exit_code).toBe(4);
    expect((await get(full, `/jobs/${retryId}`)).body).toContain(`Retry of`);

    // Env values are gone once a command started: refused, never run without them.
    const withEnv = await call('remote-bash', {
      server: 'web-1',
      command: 'echo "$TOKEN"',
      env: { TOKEN: 's3cr3t-value' },
      mode: 'sync',
    });
    const gone = await post(full, `/jobs/${structured<{ job_id: string }>(withEnv).job_id}/run-again`);
    expect(gone.status).toBe(409);
    expect(gone.body).toContain('ran with env TOKEN');

    // On an ask server the page asks the person at it; confirming approves (in their name) and runs it.
    const prodJob = structured<{ job_id: string }>(
      await call('remote-bash', { server: 'prod', command: 'uptime', mode: 'sync' }),
    ).job_id;
    await fs.promises.rm(marker('c'), { force: true });
    const asked = await call('remote-bash', { server: 'prod', command: `touch ${marker('c')}`, mode: 'sync' });
    const askedId = approvalId(textOf(asked)) as string;
    await post(full, `/approvals/${askedId}/approve`);
    const ranC = structured<{ job_id: string }>(
      await call('remote-bash', { server: 'prod', command: `touch ${marker('c')}`, mode: 'sync' }),
    ).job_id;
    await fs.promises.rm(marker('c'));
    const ask = await post(full, `/jobs/${ranC}/run-again`);
    expect(ask.status).toBe(200);
    expect(ask.body).toContain('needs your approval');
    expect(ask.body).toContain('name="confirm" value="yes"');
    expect(fs.existsSync(marker('c'))).toBe(false);
    expect((await post(readonly, `/jobs/${ranC}/run-again`, { confirm: 'yes' })).status).toBe(403);
    const confirmed = await post(full, `/jobs/${ranC}/run-again`, { confirm: 'yes' });
    expect(confirmed.status, confirmed.body).toBe(303);
    const newId = /^\/jobs\/(job_[0-9A-Z]{26})/.exec(confirmed.headers.location ?? '')?.[1] as string;
    await dh.app.services.jobs.wait(newId, 30_000);
    expect(fs.existsSync(marker('c'))).toBe(true);
    const entries = await auditEntries();
    const call2 = entries.find((e) => e.event === 'tool-call' && e.job_id === newId);
    expect(call2).toMatchObject({ decision: 'allow', server: 'prod', who: { person: 'dashboard:alice@127.0.0.1' } });
    expect(call2?.reasons?.join(' ')).toContain('approved by dashboard:alice@127.0.0.1');
    // uptime is read-only on prod: run again goes straight through.
    const plain = await post(full, `/jobs/${prodJob}/run-again`);
    expect(plain.status).toBe(303);
  });

  it('shows the audit log newest first with the chain verified, paged by cursor', async () => {
    const page = await get(full, '/audit');
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/The chain verifies: \d+ entries/);
    const seqs = [...page.body.matchAll(/<tr data-seq="(\d+)">/g)].map((m) => Number(m[1]));
    expect(seqs.length).toBeGreaterThan(10);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(page.body).toContain('dashboard:alice@127.0.0.1');
    const head = (await dh.app.services.audit.head()).seq;
    expect(seqs[0]).toBe(head);
    if (head > 100) {
      expect(page.body).toContain(`/audit?before=${seqs.at(-1)}`);
      const older = await get(full, `/audit?before=${seqs.at(-1)}`);
      expect([...older.body.matchAll(/<tr data-seq="(\d+)">/g)].map((m) => Number(m[1]))[0]).toBe(seqs.at(-1)! - 1);
    } else {
      expect(page.body).not.toContain('/audit?before=');
    }
  });

  it('shows reachability from the background probe: reachable, then unreachable once its sshd is gone', async () => {
    const first = await get(full, '/servers');
    expect(first.status).toBe(200);
    await waitFor(async () => {
      const b = (await get(full, '/servers')).body;
      return (b.match(/reach-reachable/g)?.length ?? 0) === 3 && b;
    }, 'every server reachable');
    sshd2.dropConnections();
    await sshd2.stop();
    await waitFor(async () => (await get(full, '/servers')).body.includes('reach-unreachable'), 'web-2 unreachable');
    const b = (await get(full, '/servers')).body;
    expect(b).toMatch(/<tr data-server="web-2">[\s\S]*?reach-unreachable/);
  });
});
