// The MCP App view of a job (ui://deckhand/job) from the built binary over HTTP with a real sshd: the resource's
// MIME type and CSP metadata, the tools that declare it, results identical for clients with and without MCP Apps,
// and the view rendered in Chromium by a test host built on ext-apps' AppBridge, following a real job.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import {
  RESOURCE_MIME_TYPE as LIB_MIME,
  RESOURCE_URI_META_KEY as LIB_URI_KEY,
} from '@modelcontextprotocol/ext-apps/server';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from '../helpers/browser.js';
import { connectHttp, startServed, type Served } from '../helpers/dashboard.js';
import { tempHome } from '../helpers/home.js';
import { ROOT, structured, textOf } from '../helpers/mcp.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';
import { RESOURCE_MIME_TYPE, RESOURCE_URI_META_KEY } from '../../src/mcp/job-view.js';

const TOKEN = 'job-view-test-token-0123456789';
const VIEW = 'ui://deckhand/job';
const MIME = 'text/html;profile=mcp-app';
const UI_EXTENSION = 'io.modelcontextprotocol/ui';

describe('the job view as an MCP App', () => {
  let sshd: SshdHandle;
  let home: { dir: string; cleanup(): void };
  let served: Served;
  let plain: Client;
  let apps: Client;

  const call = async (client: Client, name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as CallToolResult;

  beforeAll(async () => {
    sshd = await startSshd();
    home = tempHome();
    served = await startServed(['serve', '--http', '--host', '127.0.0.1', '--port', '0'], {
      DECKHAND_HOME: home.dir,
      DECKHAND_HTTP_TOKEN: TOKEN,
    });
    plain = await connectHttp(served.origin, TOKEN);
    // A client that renders MCP Apps says so in its capabilities (the extension's id and the MIME types it renders).
    apps = new SdkClient(
      { name: 'apps-client', version: '1.0.0' },
      { capabilities: { extensions: { [UI_EXTENSION]: { mimeTypes: [MIME] } } } as never },
    );
    await apps.connect(
      new StreamableHTTPClientTransport(new URL(`${served.origin}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
      }),
    );
    const added = await call(plain, 'add-server', {
      name: 'box',
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      private_key_path: sshd.clientKey,
    });
    expect(added.isError, textOf(added)).toBeFalsy();
  });

  afterAll(async () => {
    await plain?.close().catch(() => undefined);
    await apps?.close().catch(() => undefined);
    await served?.stop();
    await sshd?.stop();
    home?.cleanup();
  });

  it("spells the extension's names as ext-apps does (deckhand does not load the library at run time)", () => {
    expect(RESOURCE_MIME_TYPE).toBe(LIB_MIME);
    expect(RESOURCE_URI_META_KEY).toBe(LIB_URI_KEY);
  });

  it('serves ui://deckhand/job as text/html;profile=mcp-app with a CSP that allows no network', async () => {
    const listed = (await plain.listResources()).resources.find((r) => r.uri === VIEW);
    expect(listed).toMatchObject({ uri: VIEW, mimeType: MIME });
    const read = await plain.readResource({ uri: VIEW });
    const content = read.contents[0] as {
      uri: string;
      mimeType: string;
      text: string;
      _meta?: Record<string, unknown>;
    };
    expect(content.uri).toBe(VIEW);
    expect(content.mimeType).toBe(MIME);
    expect(content._meta).toEqual({ ui: { csp: { connectDomains: [], resourceDomains: [] }, prefersBorder: true } });
    expect(content.text.startsWith('<!doctype html>')).toBe(true);
    // Self-contained: no script, style or image from anywhere.
    expect(content.text).not.toMatch(/\s(src|href)=["']?https?:/i);
    expect(content.text).toContain('<script>');
  });

  it('is declared by remote-bash and get-job-status, whose results are the same for clients with and without apps', async () => {
    const tools = (await plain.listTools()).tools;
    for (const name of ['remote-bash', 'get-job-status', 'run-template']) {
      const t = tools.find((x) => x.name === name);
      expect(t?._meta, name).toEqual({ ui: { resourceUri: VIEW }, 'ui/resourceUri': VIEW });
    }
    expect(
      tools
        .filter((t) => t._meta)
        .map((t) => t.name)
        .sort(),
    ).toEqual(['get-job-status', 'remote-bash', 'run-template']);
    // The tool lists differ in nothing for the two clients.
    expect((await apps.listTools()).tools).toEqual(tools);

    const ran = structured<{ job_id: string; status: string }>(
      await call(plain, 'remote-bash', { server: 'box', command: 'echo same-for-all; echo warn >&2' }),
    );
    expect(ran.status).toBe('completed');
    const args = { job_id: ran.job_id, tail_logs: 50 };
    const a = await call(plain, 'get-job-status', args);
    const b = await call(apps, 'get-job-status', args);
    expect(b).toEqual(a);
    // Today's result: text, a link to the log, structuredContent; nothing app-specific.
    expect(a.content.map((c) => c.type)).toEqual(['text', 'resource_link']);
    expect(Object.keys(a.structuredContent ?? {}).sort()).toEqual(
      ['has_more', 'job', 'log_bytes', 'logs', 'next_cursor', 'total_lines'].sort(),
    );
    expect(a._meta).toBeUndefined();
    const bg = await call(apps, 'remote-bash', { server: 'box', command: 'true', mode: 'background' });
    expect(bg._meta).toBeUndefined();
    expect(Object.keys(bg.structuredContent ?? {}).sort()).toEqual(['job_id', 'next_cursor', 'status', 'tail']);
  });

  it('renders in a browser host built on ext-apps AppBridge and follows a running job to its end', async () => {
    const bundle = await build({
      entryPoints: [path.join(ROOT, 'tests', 'dashboard', 'harness', 'app-host.ts')],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: ['es2022'],
      write: false,
    });
    const hostJs = bundle.outputFiles[0]?.text ?? '';
    const host = http.createServer((req, res) => {
      if (req.url === '/host.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(hostJs);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><html><head><script src="/host.js"></script></head><body></body></html>');
    });
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', () => r()));
    const hostOrigin = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
    const chromium = await launchChromium();
    try {
      const page = chromium.context.pages()[0] ?? (await chromium.context.newPage());
      const requests: string[] = [];
      chromium.context.on('request', (r) => requests.push(r.url()));
      const consoleErrors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
      await page.exposeFunction('callDeckhandTool', (p: { name: string; arguments?: Record<string, unknown> }) =>
        call(apps, p.name, p.arguments ?? {}),
      );
      await page.goto(hostOrigin);

      const command = 'for i in 1 2 3 4; do echo view-$i; sleep 1; done; echo oops >&2';
      const input = { server: 'box', command, mode: 'background' };
      const result = await call(apps, 'remote-bash', input);
      const html = ((await apps.readResource({ uri: VIEW })).contents[0] as { text: string }).text;
      // What a host makes of connectDomains: [] and resourceDomains: []: inline code only, no network.
      const csp = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'none'";
      // renderApp is the harness's (app-host.ts); the test reads no DOM type here.
      await page.evaluate(
        ([h, c, i, r]) =>
          (globalThis as unknown as { renderApp: (...a: unknown[]) => Promise<void> }).renderApp(h, c, i, r),
        [html, csp, input, result] as const,
      );
      const frame = page.frameLocator('#app');
      await frame.locator('#status', { hasText: /^running$/ }).waitFor({ timeout: 15_000 });
      await frame.locator('.ln-stdout', { hasText: 'view-2' }).waitFor({ timeout: 15_000 });
      await screenshot(page, 'job-view', 'running');
      await frame.locator('#status', { hasText: /^completed$/ }).waitFor({ timeout: 20_000 });
      await frame.locator('.ln-stderr', { hasText: 'oops' }).waitFor({ timeout: 5_000 });
      expect(await frame.locator('.ln-stdout').allTextContents()).toEqual(['view-1', 'view-2', 'view-3', 'view-4']);
      await screenshot(page, 'job-view', 'completed');
      const calls = (await page.evaluate('window.appCalls')) as string[];
      expect(new Set(calls)).toEqual(new Set(['get-job-status']));
      // It stopped polling once the job ended.
      const settled = calls.length;
      await new Promise((r) => setTimeout(r, 1500));
      expect(((await page.evaluate('window.appCalls')) as string[]).length).toBe(settled);
      // The app itself made no request: everything went through the bridge.
      expect(requests.filter((u) => !u.startsWith(hostOrigin))).toEqual([]);
      expect(consoleErrors.filter((e) => /Content Security Policy|Refused/i.test(e))).toEqual([]);
    } finally {
      await chromium.close();
      host.closeAllConnections();
      await new Promise((r) => host.close(r));
    }
  });
});
