// The batch, approvals and audit pages in a real browser (Debian's Chromium via playwright-core) against the built
// binary (`deckhand serve --http`) and two real sshds: a 12-server batch followed live without a reload, an ask call
// of an MCP client approved by clicking, the audit log naming the person, screenshots, no request elsewhere.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { BrowserContext, Page } from 'playwright-core';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foreignRequests, launchChromium, screenshot } from '../helpers/browser.js';
import { connectHttp, startServed, type Served } from '../helpers/dashboard.js';
import { tempHome } from '../helpers/home.js';
import { structured, textOf } from '../helpers/mcp.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

const TOKEN = 'browser-safe-hands-token-0123456789';

/**
 * The page's document, inside functions Playwright runs in the browser (this project's types have no DOM). Functions,
 * not strings: the page's CSP forbids eval, which string predicates need; and written out in each, since a function
 * sent to the browser takes nothing from this module along.
 */
interface PageDocument {
  querySelectorAll(selector: string): { length: number };
  getElementById(id: string): { textContent: string | null } | null;
}

describe('dashboard safe hands in a real browser', () => {
  let sshd1: SshdHandle;
  let sshd2: SshdHandle;
  let home: { dir: string; cleanup(): void };
  let served: Served;
  let mcp: Client;
  let chromium: { context: BrowserContext; close(): Promise<void> };
  let foreign: string[];
  const marker = `/tmp/deckhand-browser-dash2-${process.pid}`;

  const call = async (name: string, args: Record<string, unknown>) =>
    (await mcp.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as CallToolResult;

  async function login(page: Page): Promise<void> {
    await page.goto(`${served.origin}/login`);
    if (new URL(page.url()).pathname !== '/login') return;
    await page.fill('#token', TOKEN);
    await page.fill('#name', 'carol');
    await Promise.all([page.waitForURL(`${served.origin}/`), page.click('button[type=submit]')]);
  }

  beforeAll(async () => {
    [sshd1, sshd2] = await Promise.all([startSshd(), startSshd()]);
    home = tempHome();
    served = await startServed(['serve', '--http', '--host', '127.0.0.1', '--port', '0'], {
      DECKHAND_HOME: home.dir,
      DECKHAND_HTTP_TOKEN: TOKEN,
      DECKHAND_MAX_JOBS: '16',
      DECKHAND_MAX_JOBS_PER_SERVER: '16',
    });
    mcp = await connectHttp(served.origin, TOKEN);
    // web-1..web-6 on the first sshd, web-7..web-12 on the second, prod (env=prod: ask) on the first.
    for (let i = 1; i <= 12; i++) {
      const d = i <= 6 ? sshd1 : sshd2;
      const r = await call('add-server', {
        name: `web-${i}`,
        host: d.host,
        port: d.port,
        user: d.user,
        private_key_path: d.clientKey,
      });
      expect(r.isError, textOf(r)).toBeFalsy();
    }
    const prod = await call('add-server', {
      name: 'prod',
      host: sshd1.host,
      port: sshd1.port,
      user: sshd1.user,
      private_key_path: sshd1.clientKey,
      labels: { env: 'prod' },
    });
    expect(prod.isError, textOf(prod)).toBeFalsy();
    chromium = await launchChromium();
    foreign = foreignRequests(chromium.context, served.origin);
  }, 180_000);

  afterAll(async () => {
    await chromium?.close();
    await mcp?.close().catch(() => undefined);
    await served?.stop();
    await Promise.all([sshd1?.stop(), sshd2?.stop()]);
    home?.cleanup();
    fs.rmSync(marker, { force: true });
  });

  it('follows a 12-server batch live (rows change without a reload), then shows its outputs grouped', async () => {
    const command =
      `if [ "\${SSH_CONNECTION##* }" = "${sshd2.port}" ]; then sleep 6; echo down >&2; exit 3; fi; ` +
      'sleep 1; echo up';
    const r = await call('remote-bash', {
      servers: Array.from({ length: 12 }, (_, i) => `web-${i + 1}`),
      command,
      mode: 'background',
    });
    const id = structured<{ job_id: string }>(r).job_id;
    const page = await chromium.context.newPage();
    await login(page);
    await page.goto(`${served.origin}/batches/${id}`);
    expect(await page.locator('tr[data-job]').count()).toBe(12);
    await page.evaluate('window.__samePage = true');
    // The first six end while the other six still sleep: their rows turn completed in place.
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { document: PageDocument }).document.querySelectorAll(
          'tr[data-job] .child-status .status-completed',
        ).length === 6,
      undefined,
      { timeout: 20_000 },
    );
    expect(await page.evaluate('window.__samePage === true')).toBe(true);
    await expect(page.locator('#batch-counts').textContent()).resolves.toMatch(/^6\/12 done/);
    await screenshot(page, 'dashboard', 'batch-running');
    // At its end the page loads once more, with the grouped outputs and failures first.
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { document: PageDocument }).document
          .getElementById('live')
          ?.textContent?.includes('has ended'),
      undefined,
      {
        timeout: 30_000,
      },
    );
    await expect(page.locator('#batch-status').textContent()).resolves.toBe('failed');
    const groups = await page.locator('.group h3').allTextContents();
    expect(groups[0]).toMatch(/web-7\.\.web-12\s*\(6 servers\): failed: exit 3/);
    expect(groups[1]).toMatch(/web-1\.\.web-6\s*\(6 servers\): exit 0/);
    expect((await page.locator('tr[data-job] td:first-child').allTextContents()).slice(0, 6)).toEqual(
      // Failures first, servers in number order.
      ['web-7', 'web-8', 'web-9', 'web-10', 'web-11', 'web-12'],
    );
    await screenshot(page, 'dashboard', 'batch-ended');
    // Retry the failed servers: a new batch of six, linked to this one.
    await Promise.all([page.waitForURL(/\/batches\/job_/), page.click('text=Retry the failed servers')]);
    expect(page.url()).not.toContain(id);
    await expect(page.locator('main').textContent()).resolves.toContain(`repeats ${id}`);
    expect(await page.locator('tr[data-job]').count()).toBe(6);
    await page.goto(`${served.origin}/batches`);
    await screenshot(page, 'dashboard', 'batches');
    await page.close();
  });

  it('approves an ask call of an MCP client by clicking; the audit page names the person', async () => {
    const touch = () => call('remote-bash', { server: 'prod', command: `touch ${marker}`, mode: 'sync' });
    const refused = textOf(await touch());
    expect(refused).toMatch(/^Refused \(approval_pending\)/);
    const id = /deckhand approve (apr_[0-9A-Z]{26})/.exec(refused)?.[1] as string;
    const page = await chromium.context.newPage();
    await login(page);
    await page.goto(`${served.origin}/`);
    await expect(page.locator('main').textContent()).resolves.toContain(`remote-bash on prod: touch ${marker}`);
    await page.goto(`${served.origin}/approvals`);
    await expect(page.locator(`#${id}`).textContent()).resolves.toContain('destructive');
    await screenshot(page, 'dashboard', 'approvals');
    await Promise.all([page.waitForURL(/done=approved/), page.click(`#${id} button:has-text("Approve")`)]);
    await expect(page.locator('#nothing-waits').count()).resolves.toBe(1);
    const ran = await touch();
    expect(ran.isError, textOf(ran)).toBeFalsy();
    expect(fs.existsSync(marker)).toBe(true);
    await page.goto(`${served.origin}/audit`);
    await expect(page.locator('#chain-status').textContent()).resolves.toContain('The chain verifies');
    const granted = page.locator('tr', { hasText: 'approval-granted' });
    await expect(granted.first().locator('.actor').textContent()).resolves.toContain('dashboard:carol@127.0.0.1');
    await screenshot(page, 'dashboard', 'audit');
    await page.close();
    expect(foreign).toEqual([]);
  });
});
