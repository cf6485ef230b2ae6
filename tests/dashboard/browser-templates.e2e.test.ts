// The templates pages in a real browser (Debian's Chromium via playwright-core) against the built binary
// (`deckhand serve --http`) and a real sshd: templates list → a template's page (env names, never values) → run now
// with a parameter → the job page, the run in the template's history → pause and resume its schedule; the audit
// log names the person; no request leaves the origin.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foreignRequests, launchChromium, screenshot } from '../helpers/browser.js';
import { connectHttp, startServed, type Served } from '../helpers/dashboard.js';
import { tempHome } from '../helpers/home.js';
import { textOf } from '../helpers/mcp.js';
import { runCli } from '../helpers/cli.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';
import { saveTemplates } from '../helpers/templates.js';

const TOKEN = 'browser-templates-token-0123456789';

describe('dashboard templates in a real browser', () => {
  let sshd: SshdHandle;
  let home: { dir: string; cleanup(): void };
  let served: Served;
  let mcp: Client;
  let chromium: { context: BrowserContext; close(): Promise<void> };
  let foreign: string[];

  async function login(page: Page): Promise<void> {
    await page.goto(`${served.origin}/login`);
    if (new URL(page.url()).pathname !== '/login') return;
    await page.fill('#token', TOKEN);
    await page.fill('#name', 'erin');
    await Promise.all([page.waitForURL(`${served.origin}/`), page.click('button[type=submit]')]);
  }

  beforeAll(async () => {
    sshd = await startSshd();
    home = tempHome();
    served = await startServed(['serve', '--http', '--host', '127.0.0.1', '--port', '0'], {
      DECKHAND_HOME: home.dir,
      DECKHAND_HTTP_TOKEN: TOKEN,
    });
    mcp = await connectHttp(served.origin, TOKEN);
    const r = (await mcp.callTool({
      name: 'add-server',
      arguments: { name: 'web', host: sshd.host, port: sshd.port, user: sshd.user, private_key_path: sshd.clientKey },
    })) as CallToolResult;
    expect(r.isError, textOf(r)).toBeFalsy();
    await saveTemplates(home.dir, [
      {
        name: 'backup',
        description: 'dumps the database',
        command: 'echo "backup of $DB with $API_KEY_LEN"',
        target: { server: 'web' },
        env: { API_KEY_LEN: 'very-secret-value' },
        params: [{ name: 'DB', default: 'main', description: 'which database' }],
        schedule: { cron: '0 3 * * *', tz: 'Europe/Berlin' },
      },
    ]);
    chromium = await launchChromium();
    foreign = foreignRequests(chromium.context, served.origin);
  }, 180_000);

  afterAll(async () => {
    await chromium?.close();
    await mcp?.close().catch(() => undefined);
    await served?.stop();
    await sshd?.stop();
    home?.cleanup();
  });

  it('list → detail → run now → pause/resume', async () => {
    const page = await chromium.context.newPage();
    await login(page);
    await page.goto(`${served.origin}/templates`);
    const row = page.locator('tr[data-template="backup"]');
    await expect(row.textContent()).resolves.toContain('At 03:00 (Europe/Berlin)');
    await screenshot(page, 'dashboard', 'templates');
    await Promise.all([page.waitForURL(/\/templates\/backup$/), row.locator('a', { hasText: 'backup' }).click()]);
    const main = () => page.locator('main').textContent();
    await expect(main()).resolves.toContain('API_KEY_LEN');
    await expect(main()).resolves.not.toContain('very-secret-value');
    expect(await page.locator('#next-runs li').count()).toBe(5);

    await page.fill('input[name="param.DB"]', 'orders');
    await Promise.all([page.waitForURL(/\/jobs\/job_[0-9A-Z]{26}\?done=again$/), page.click('#run-now')]);
    const jobId = /\/jobs\/(job_[0-9A-Z]{26})/.exec(page.url())![1]!;
    await page.waitForFunction(
      () =>
        /backup of orders with very-secret-value/.test(
          (globalThis as unknown as { document: { body: { textContent: string } } }).document.body.textContent,
        ),
      undefined,
      { timeout: 30_000 },
    );
    await screenshot(page, 'dashboard', 'template-run');

    await page.goto(`${served.origin}/templates/backup`);
    await expect(page.locator('#history').textContent()).resolves.toContain(jobId);
    await Promise.all([page.waitForURL(/done=paused/), page.click('#pause')]);
    await expect(page.locator('#paused').count()).resolves.toBe(1);
    await page.goto(`${served.origin}/schedules`);
    await expect(page.locator('tr[data-template="backup"]').textContent()).resolves.toContain('paused');
    await page.goto(`${served.origin}/templates/backup`);
    await Promise.all([page.waitForURL(/done=resumed/), page.click('#resume')]);
    await expect(page.locator('#paused').count()).resolves.toBe(0);
    await screenshot(page, 'dashboard', 'template');

    await page.goto(`${served.origin}/jobs?template=backup`);
    await expect(page.locator('main').textContent()).resolves.toContain(jobId);
    await page.close();

    const audit = runCli({ DECKHAND_HOME: home.dir }, ['audit', 'export']).stdout;
    expect(audit).toMatch(/"tool":"run-template"[^\n]*dashboard:erin@127\.0\.0\.1/);
    expect(audit).toMatch(/"tool":"pause-schedule"[^\n]*dashboard:erin@127\.0\.0\.1/);
    expect(audit).toMatch(/"tool":"resume-schedule"/);
    expect(audit).not.toContain('very-secret-value');
    expect(foreign).toEqual([]);
  });
});
