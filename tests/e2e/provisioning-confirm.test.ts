// The price / deletion confirmations: MCP elicitation with a client that supports it, and the typed fallback
// (confirm: true) when DECKHAND_CONFIRM=always and the client cannot ask its user.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, type CallToolResult, type ElicitRequest } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCloud, type FakeCloud } from '../helpers/fake-cloud.js';
import { tempHome } from '../helpers/home.js';
import { CLI, startStdio, structured, textOf, type StdioSession } from '../helpers/mcp.js';

interface Answer {
  status: string;
  job_id?: string;
  result?: Record<string, unknown>;
  plan?: { price_monthly?: { gross: number } };
}

describe('create-server and delete-server confirmations', () => {
  let cloud: FakeCloud;
  const homes: { dir: string; cleanup(): void }[] = [];
  let client: Client;
  let plain: StdioSession;
  const asked: ElicitRequest['params'][] = [];
  let reply: 'accept' | 'decline' | 'unchecked' = 'decline';

  const env = (home: string, extra: Record<string, string> = {}) => ({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    DECKHAND_LOG_LEVEL: 'warn',
    DECKHAND_HOME: home,
    HCLOUD_TOKEN: cloud.fake.token,
    HCLOUD_ENDPOINT: cloud.fake.url,
    DECKHAND_PROVIDER_POLL_MS: '50',
    ...extra,
  });
  const call = async (name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as CallToolResult;
  const posts = (name: string) =>
    cloud.fake.state.responses.filter(
      (r) => r.method === 'POST' && r.path === '/servers' && (r.requestBody as { name?: string })?.name === name,
    );

  beforeAll(async () => {
    cloud = await startFakeCloud({ actionDurationMs: 0 });
    for (let i = 0; i < 2; i++) homes.push(tempHome());
    client = new Client({ name: 'eliciting-client', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params);
      if (reply === 'decline') return { action: 'decline' };
      return { action: 'accept', content: { confirm: reply === 'accept' } };
    });
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: [CLI], env: env(homes[0]!.dir), stderr: 'pipe' }),
    );
    plain = await startStdio(env(homes[1]!.dir, { DECKHAND_CONFIRM: 'always' }));
  });
  afterAll(async () => {
    await client?.close();
    await plain?.close();
    await cloud?.close();
    for (const h of homes) h.cleanup();
  });

  it('asks the user to confirm the price; a decline or an unchecked box orders nothing', async () => {
    reply = 'decline';
    const declined = structured<Answer>(await call('create-server', { name: 'ask-1' }));
    expect(declined.status).toBe('declined');
    expect(asked).toHaveLength(1);
    expect(asked[0]?.message).toMatch(/cx23 .*"ask-1" in \w+ .*\d+\.\d\d EUR a month/);
    reply = 'unchecked';
    expect(structured<Answer>(await call('create-server', { name: 'ask-1' })).status).toBe('declined');
    expect(posts('ask-1')).toHaveLength(0);
  });

  it('creates once the user accepts, and asks again before deleting', async () => {
    reply = 'accept';
    const made = structured<Answer>(await call('create-server', { name: 'ask-1', sync_wait_s: 60 }));
    expect(made.status, JSON.stringify(made)).toBe('completed');
    expect(posts('ask-1')).toHaveLength(1);
    const before = asked.length;
    reply = 'decline';
    const kept = structured<Answer>(await call('delete-server', { name: 'ask-1', confirm: true }));
    expect(kept.status).toBe('declined');
    expect(asked.length).toBe(before + 1);
    expect(asked.at(-1)?.message).toMatch(/Delete server "ask-1" \(id \d+, [\d.]+\) at hetzner\?/);
    expect(cloud.fake.state.findServerByName('ask-1')).toBeDefined();
    reply = 'accept';
    const gone = structured<Answer>(await call('delete-server', { name: 'ask-1', confirm: true, sync_wait_s: 60 }));
    expect(gone.status).toBe('completed');
    expect(cloud.fake.state.findServerByName('ask-1')).toBeUndefined();
  });

  it('DECKHAND_CONFIRM=always without elicitation: answers confirmation_required until confirm: true is passed', async () => {
    const first = structured<Answer>(await plain.call('create-server', { name: 'typed-1' }));
    expect(first.status).toBe('confirmation_required');
    expect(first.plan?.price_monthly?.gross).toBeGreaterThan(0);
    expect(textOf(await plain.call('create-server', { name: 'typed-1' }))).toMatch(/"confirm": true/);
    expect(posts('typed-1')).toHaveLength(0);
    const made = structured<Answer>(
      await plain.call('create-server', { name: 'typed-1', confirm: true, sync_wait_s: 60 }),
    );
    expect(made.status, JSON.stringify(made)).toBe('completed');
    expect(posts('typed-1')).toHaveLength(1);
    const gone = structured<Answer>(
      await plain.call('delete-server', { name: 'typed-1', confirm: true, sync_wait_s: 60 }),
    );
    expect(gone.status).toBe('completed');
  });
});
