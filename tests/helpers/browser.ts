import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from './mcp.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Screenshots and other files a browser test keeps for people to look at (gitignored). */
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');

/**
 * Debian's Chromium driven by playwright-core (Playwright's own browser download cannot work on these machines),
 * with a fresh profile directory: one browser with one cookie jar. Fails loudly when Chromium is missing (a
 * browser test that silently tests nothing is a defect).
 */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Chromium (apt-get install -y chromium); .ci/run does this.`);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      // Without these Chromium reaches for Google's servers and fails noisily offline.
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Every request a context makes to an origin other than `origin` (none is allowed: the pages are self-contained). */
export function foreignRequests(context: BrowserContext, origin: string): string[] {
  const seen: string[] = [];
  context.on('request', (r) => {
    const url = r.url();
    if (url.startsWith('data:') || url.startsWith('about:')) return;
    if (new URL(url).origin !== origin) seen.push(url);
  });
  return seen;
}

/** Saves a full-page screenshot under test-artifacts/<group>/<name>.png and answers its path. */
export async function screenshot(page: Page, group: string, name: string): Promise<string> {
  const dir = path.join(ARTIFACTS, group);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
