// create-server / delete-server through the MCP process against the fake Hetzner API, with a real sshd per created
// server (tests/helpers/fake-cloud.ts says what is simulated: cloud-init's host key install, and the machine itself).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Fingerprint } from '../../src/providers/index.js';
import { startFakeCloud, type FakeCloud } from '../helpers/fake-cloud.js';
import { tempHome } from '../helpers/home.js';
import { startStdio, structured, textOf, type StdioSession } from '../helpers/mcp.js';

interface Answer {
  status: string;
  job_id?: string;
  joined?: boolean;
  error?: { code: string; message: string };
  result?: Record<string, unknown>;
  plan?: Record<string, unknown>;
}
interface JobStatus {
  job: {
    status: string;
    error: { code: string; message: string } | null;
    result: Record<string, unknown>;
    progress: { step?: string };
  };
  logs: { text: string }[];
}
interface Listed {
  servers: { name: string; host: string; host_key_fingerprint: string; provider?: { name: string; id: string } }[];
  provider_servers?: {
    name: string;
    id: string;
    status: string;
    price_monthly?: { gross: number };
    created_by_deckhand: boolean;
    registered: boolean;
  }[];
}

describe('create-server and delete-server against the fake Hetzner API', () => {
  let cloud: FakeCloud;
  let home: { dir: string; cleanup(): void };
  let mcp: StdioSession;

  const call = (name: string, args: Record<string, unknown>) => mcp.call(name, args);
  async function finish(answer: Answer): Promise<JobStatus> {
    expect(answer.job_id, JSON.stringify(answer)).toBeTruthy();
    const deadline = Date.now() + 90_000;
    for (;;) {
      const s = structured<JobStatus>(
        await call('get-job-status', { job_id: answer.job_id, wait_s: 10, tail_logs: 200 }),
      );
      if (!['queued', 'running'].includes(s.job.status)) return s;
      if (Date.now() > deadline) throw new Error(`job still ${s.job.status}: ${JSON.stringify(s.job.progress)}`);
    }
  }
  const posts = () => cloud.fake.state.responses.filter((r) => r.method === 'POST' && r.path === '/servers');
  const list = async () => structured<Listed>(await call('list-servers', {}));

  beforeAll(async () => {
    cloud = await startFakeCloud({
      actionDurationMs: 300,
      cloudInit: (name) => (name === 'rogue' ? 'ignored' : 'applied'),
    });
    home = tempHome();
    mcp = await startStdio({
      DECKHAND_HOME: home.dir,
      HCLOUD_TOKEN: cloud.fake.token,
      HCLOUD_ENDPOINT: cloud.fake.url,
      DECKHAND_PROVIDER_POLL_MS: '100',
      DECKHAND_CONNECT_TIMEOUT_S: '5',
    });
  });
  afterAll(async () => {
    await mcp?.close();
    await cloud?.close();
    home?.cleanup();
  });

  it('answers a dry run with the plan and the monthly price, ordering nothing', async () => {
    const r = structured<Answer>(await call('create-server', { name: 'web-1', dry_run: true }));
    expect(r.status).toBe('dry_run');
    expect(r.plan).toMatchObject({ action: 'create', server_type: 'cx23', image: 'debian-12', provider: 'hetzner' });
    expect((r.plan?.price_monthly as { net: number }).net).toBeCloseTo(3.49);
    expect(posts()).toHaveLength(0);
    const bad = await call('create-server', { name: 'web-1', server_type: 'cx99', dry_run: true });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/unknown_server_type.*cx23/s);
  });

  it('creates, pins the injected host key, runs remote-bash on it, adopts on a repeat call, then deletes', async () => {
    const first = structured<Answer>(
      await call('create-server', { name: 'web-1', labels: { env: 'test' }, sync_wait_s: 0 }),
    );
    expect(['queued', 'running']).toContain(first.status);
    const done = await finish(first);
    expect(done.job.status, JSON.stringify(done.job.error)).toBe('completed');
    const steps = done.job.result.steps as { name: string; status: string }[];
    expect(steps.map((s) => [s.name, s.status])).toEqual([
      ['ensure-ssh-key', 'ok'],
      ['create-server', 'changed'],
      ['wait-for-actions', 'changed'],
      ['wait-for-ssh', 'ok'],
      ['verify-host-key', 'ok'],
      ['add-to-inventory', 'changed'],
    ]);
    expect(done.job.result.host_key_trust).toBe('injected');

    // The pin is the key deckhand put in the create request's user_data, and the machine presents exactly that one.
    const machine = cloud.machines.get('web-1');
    expect(machine?.injectedPublicKey).toBeTruthy();
    const injected = sha256Fingerprint(machine?.injectedPublicKey ?? '');
    expect(machine?.hostKeyFingerprint).toBe(injected);
    const listed = await list();
    const rec = listed.servers.find((s) => s.name === 'web-1');
    expect(rec).toMatchObject({ host: machine?.ip, host_key_fingerprint: injected, provider: { name: 'hetzner' } });
    expect(listed.provider_servers?.find((s) => s.name === 'web-1')).toMatchObject({
      status: 'running',
      created_by_deckhand: true,
      registered: true,
    });

    const ran = structured<{ status: string; stdout: string }>(
      await call('remote-bash', { server: 'web-1', command: 'echo hello-from-web-1' }),
    );
    expect(ran).toMatchObject({ status: 'completed', stdout: 'hello-from-web-1' });

    // A repeat call (say, after the client timed out) adopts: no second POST /servers, no second server.
    const again = structured<Answer>(
      await call('create-server', { name: 'web-1', labels: { env: 'test' }, sync_wait_s: 60 }),
    );
    expect(again.status).toBe('completed');
    expect(again.result).toMatchObject({ adopted: true, host_key_trust: 'injected' });
    expect(posts()).toHaveLength(1);
    expect([...cloud.fake.state.servers.values()].filter((s) => s.name === 'web-1')).toHaveLength(1);

    const refused = await call('delete-server', { name: 'web-1', confirm: false });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/confirmation_required/);
    const del = structured<Answer>(await call('delete-server', { name: 'web-1', confirm: true, sync_wait_s: 60 }));
    expect(del.status, JSON.stringify(del)).toBe('completed');
    expect(del.result).toMatchObject({ inventory_removed: true, deleted: true });
    expect(cloud.fake.state.findServerByName('web-1')).toBeUndefined();
    expect((await list()).servers.map((s) => s.name)).not.toContain('web-1');
    // Deleting again: already gone, and not registered: nothing to delete.
    const gone = await call('delete-server', { name: 'web-1', confirm: true });
    expect(textOf(gone)).toMatch(/unknown_server/);
  });

  it("authorizes the user's own key when ssh_public_key_path is given, and logs in with its private half", async () => {
    const key = path.join(home.dir, 'mine_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'me@laptop', '-f', key]);
    const r = structured<Answer>(
      await call('create-server', { name: 'own-key', ssh_public_key_path: `${key}.pub`, sync_wait_s: 60 }),
    );
    expect(r.status, JSON.stringify(r)).toBe('completed');
    expect(r.plan).toMatchObject({ ssh_key: { source: 'file', public_key_path: `${key}.pub` } });
    const created = cloud.fake.state.findServerByName('own-key');
    const keys = (created?.sshKeyIds ?? []).map((id) => cloud.fake.state.sshKeys.get(id)?.publicKey);
    expect(keys).toEqual([fs.readFileSync(`${key}.pub`, 'utf8').trim()]);
    const ran = structured<{ stdout: string }>(await call('remote-bash', { server: 'own-key', command: 'echo own' }));
    expect(ran.stdout).toBe('own');
    const gone = structured<Answer>(await call('delete-server', { name: 'own-key', confirm: true, sync_wait_s: 60 }));
    expect(gone.status).toBe('completed');
  });

  it('sends progress notifications naming the steps while the call waits for the server, none after the answer', async () => {
    const progress: { progress: number; message?: string }[] = [];
    const result = await mcp.client.callTool(
      { name: 'create-server', arguments: { name: 'prog-1', sync_wait_s: 60 } },
      undefined,
      { onprogress: (p) => progress.push(p), timeout: 90_000 },
    );
    const answered = progress.length;
    expect(structured<Answer>(result as never).status).toBe('completed');
    expect(answered).toBeGreaterThanOrEqual(2);
    const values = progress.map((p) => p.progress);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(progress.map((p) => p.message ?? '').join('\n')).toMatch(/create-server|wait-for-actions|wait-for-ssh/);
    await call('list-servers', {});
    expect(progress).toHaveLength(answered);
  });

  it('waits out a 429 on the create', async () => {
    const f = cloud.fake.inject({
      kind: 'status',
      method: 'POST',
      path: '/servers',
      status: 429,
      headers: { 'Retry-After': '1' },
    });
    const done = await finish(structured<Answer>(await call('create-server', { name: 'rate-1', sync_wait_s: 0 })));
    expect(done.job.status, JSON.stringify(done.job.error)).toBe('completed');
    expect(f.hits).toBe(1);
    expect(
      posts()
        .filter((r) => r.requestBody && (r.requestBody as { name: string }).name === 'rate-1')
        .map((r) => r.status),
    ).toEqual([429, 201]);
    expect(done.logs.map((l) => l.text).join('\n')).toMatch(/rate_limit_exceeded.*retry 1/);
  });

  it('adopts the server after a connection reset right after the create, never ordering a second one', async () => {
    const f = cloud.fake.inject({ kind: 'reset-after-create' });
    const done = await finish(structured<Answer>(await call('create-server', { name: 'reset-1', sync_wait_s: 0 })));
    expect(done.job.status, JSON.stringify(done.job.error)).toBe('completed');
    expect(f.hits).toBe(1);
    expect(done.job.result).toMatchObject({ adopted: true, host_key_trust: 'injected' });
    const mine = posts().filter((r) => (r.requestBody as { name?: string } | undefined)?.name === 'reset-1');
    expect(mine.map((r) => r.status)).toEqual([0]);
    expect([...cloud.fake.state.servers.values()].filter((s) => s.name === 'reset-1')).toHaveLength(1);
    // Still verified: the fingerprint came back from the server's label, not from trusting the first connection.
    const machine = cloud.machines.get('reset-1');
    expect((await list()).servers.find((s) => s.name === 'reset-1')?.host_key_fingerprint).toBe(
      sha256Fingerprint(machine?.injectedPublicKey ?? ''),
    );
  });

  it('fails the job at its step when the provider action fails, and delete-server cleans the half-made server up', async () => {
    cloud.fake.inject({
      kind: 'action-error',
      command: 'create_server',
      error: { code: 'server_error', message: 'no capacity' },
    });
    const done = await finish(structured<Answer>(await call('create-server', { name: 'broken-1', sync_wait_s: 0 })));
    expect(done.job.status).toBe('failed');
    expect(done.job.error?.message).toMatch(/Step "wait-for-actions" \(3\/6\) failed: .*no capacity/);
    expect(done.job.result.failed_step).toBe('wait-for-actions');
    expect((await list()).servers.map((s) => s.name)).not.toContain('broken-1');
    const del = structured<Answer>(await call('delete-server', { name: 'broken-1', confirm: true, sync_wait_s: 60 }));
    expect(del.status, JSON.stringify(del)).toBe('completed');
    expect(del.result).toMatchObject({ deleted: true, inventory_removed: false });
    expect(cloud.fake.state.findServerByName('broken-1')).toBeUndefined();
  });

  it('refuses a machine that does not present the injected host key: nothing pinned, nothing registered', async () => {
    const done = await finish(structured<Answer>(await call('create-server', { name: 'rogue', sync_wait_s: 0 })));
    expect(done.job.status).toBe('failed');
    expect(done.job.error?.code).toBe('host_key_mismatch');
    expect(done.job.result.failed_step).toBe('verify-host-key');
    expect((await list()).servers.map((s) => s.name)).not.toContain('rogue');
  });

  it('refuses to delete servers deckhand did not create', async () => {
    cloud.fake.state.addServer({ name: 'theirs', labels: { team: 'other' } });
    const r = await call('delete-server', { name: 'theirs', confirm: true });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/not_created_by_deckhand.*remove-server/s);
    expect(cloud.fake.state.findServerByName('theirs')).toBeDefined();
    const taken = await call('create-server', { name: 'theirs' });
    expect(textOf(taken)).toMatch(/name_taken/);
    expect(cloud.bootErrors).toEqual([]);
    expect(cloud.fake.state.internalErrors).toEqual([]);
  });
});
