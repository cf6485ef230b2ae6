import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/index.js';
import { runCli } from '../helpers/cli.js';
import { tempHome } from '../helpers/home.js';
import { CLI, textOf } from '../helpers/mcp.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

const DEFAULT = 'default-token-0123456789abcdef';
const CI = 'ci-token-0123456789abcdefghij';

/**
 * HTTP identities: DECKHAND_HTTP_TOKEN (recorded as "default") and a named read-only token for one team, through
 * `deckhand serve --http` and the SDK's own HTTP client. The token's policy applies on top of the server's.
 */
describe('HTTP tokens with names and policies (serve --http, real sshd)', () => {
  let sshd: SshdHandle;
  let home: { dir: string; cleanup(): void };
  let proc: ChildProcess;
  let url: URL;
  const clients: Client[] = [];
  const marker = (n: string) => `/tmp/deckhand-http-${process.pid}-${n}`;

  const connect = async (token: string, elicit?: () => { approve: boolean }) => {
    const client = new Client(
      { name: `team-${token.slice(0, 2)}`, version: '3.1' },
      elicit ? { capabilities: { elicitation: { form: {} } } } : undefined,
    );
    if (elicit) client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: elicit() }));
    await client.connect(
      new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
    );
    clients.push(client);
    return {
      client,
      call: async (name: string, args: Record<string, unknown>) =>
        (await client.callTool({ name, arguments: args })) as CallToolResult,
    };
  };

  beforeAll(async () => {
    sshd = await startSshd();
    home = tempHome();
    proc = spawn(process.execPath, [CLI, 'serve', '--http', '--host', '127.0.0.1', '--port', '0'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        DECKHAND_LOG_LEVEL: 'warn',
        DECKHAND_HOME: home.dir,
        DECKHAND_HTTP_TOKEN: DEFAULT,
        DECKHAND_HTTP_TOKENS: `ci=${CI}:read-only`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL on stderr in 15 s:\n${err}`)), 15_000);
      proc.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /at http:\/\/127\.0\.0\.1:(\d+)\/mcp/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      proc.once('exit', (code) => reject(new Error(`deckhand exited with ${code}:\n${err}`)));
    });
    url = new URL(`http://127.0.0.1:${port}/mcp`);
    const ops = await connect(DEFAULT);
    for (const [name, labels] of [
      ['box', {}],
      ['prod', { env: 'prod' }],
    ] as const) {
      const r = await ops.call('add-server', {
        name,
        host: sshd.host,
        port: sshd.port,
        user: sshd.user,
        private_key_path: sshd.clientKey,
        labels,
      });
      expect(r.isError, textOf(r)).toBeFalsy();
    }
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    if (proc && proc.exitCode === null) {
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await done;
    }
    await sshd?.stop();
    home?.cleanup();
    for (const f of fs.readdirSync('/tmp').filter((n) => n.startsWith(`deckhand-http-${process.pid}-`)))
      fs.rmSync(`/tmp/${f}`, { force: true });
  });

  it('the read-only token is refused what changes things, wherever; the default token is not', async () => {
    const ci = await connect(CI);
    const refused = await ci.call('remote-bash', { server: 'box', command: `touch ${marker('ci')}`, mode: 'sync' });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain('token ci: refused, token ci is read-only');
    expect(fs.existsSync(marker('ci'))).toBe(false);
    const read = await ci.call('remote-bash', { server: 'box', command: 'ls /tmp', mode: 'sync' });
    expect(read.isError, textOf(read)).toBeFalsy();
    const add = await ci.call('add-server', { name: 'other', host: sshd.host, port: sshd.port });
    expect(textOf(add)).toMatch(/policy_denied[\s\S]*token ci/);

    const ops = await connect(DEFAULT);
    const ran = await ops.call('remote-bash', { server: 'box', command: `touch ${marker('ops')}`, mode: 'sync' });
    expect(ran.isError, textOf(ran)).toBeFalsy();
    expect(fs.existsSync(marker('ops'))).toBe(true);
  });

  it('a session keeps the token it was opened with', async () => {
    const ops = await connect(DEFAULT);
    const transport = (ops.client as unknown as { _transport: StreamableHTTPClientTransport })._transport;
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${CI}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': transport.sessionId!,
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('opened with another token');
  });

  it('over HTTP, an elicitation-capable client is asked; one without is given the approval path', async () => {
    const asking = await connect(DEFAULT, () => ({ approve: true }));
    const ran = await asking.call('remote-bash', { server: 'prod', command: `touch ${marker('asked')}`, mode: 'sync' });
    expect(ran.isError, textOf(ran)).toBeFalsy();
    expect(fs.existsSync(marker('asked'))).toBe(true);
    const plain = await connect(DEFAULT);
    const pending = await plain.call('remote-bash', {
      server: 'prod',
      command: `touch ${marker('plain')}`,
      mode: 'sync',
    });
    expect(textOf(pending)).toMatch(/^Refused \(approval_pending\)[\s\S]*deckhand approve apr_/);
  });

  it('the audit log names the token and the client of every call, never the token itself', async () => {
    const r = runCli({ DECKHAND_HOME: home.dir }, ['audit', 'export']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain(CI);
    expect(r.stdout).not.toContain(DEFAULT);
    const entries = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry);
    const ciEntries = entries.filter((e) => e.who.token === 'ci');
    expect(ciEntries.map((e) => [e.event, e.tool, e.decision])).toEqual([
      ['refusal', 'remote-bash', 'deny'],
      ['tool-call', 'remote-bash', 'allow'],
      ['refusal', 'add-server', 'deny'],
    ]);
    expect(ciEntries[0]!.who.client).toEqual({ name: 'team-ci', version: '3.1' });
    expect(entries.filter((e) => e.who.token === 'default' && e.event === 'tool-call').length).toBeGreaterThanOrEqual(
      4,
    );
    expect(runCli({ DECKHAND_HOME: home.dir }, ['audit', 'verify']).code).toBe(0);
  });
});
