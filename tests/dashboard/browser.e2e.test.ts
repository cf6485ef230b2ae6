// The dashboard in a real browser (Debian's Chromium via playwright-core) against the built binary
// (`deckhand serve --http`) and a real sshd: login, refusals, the live log tail, cancel, filters and paging,
// screenshots of every page, and not one request to another origin.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foreignRequests, launchChromium, screenshot } from '../helpers/browser.js';
import { connectHttp, csrfOf, loginCookie, rawRequest, startServed, type Served } from '../helpers/dashboard.js';
import { tempHome } from '../helpers/home.js';
import { remoteProcessCount } from '../helpers/openssh.js';
import { waitFor } from '../helpers/wait.js';
import { structured, textOf } from '../helpers/mcp.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

const TOKEN = 'dashboard-test-token-0123456789';

describe('dashboard in a real browser', () => {
  let sshd: SshdHandle;
  let home: { dir: string; cleanup(): void };
  let served: Served;
  let mcp: Client;
  let chromium: { context: BrowserContext; close(): Promise<void> };
  let context: BrowserContext;
  let foreign: string[];

  const call = async (name: string, args: Record<string, unknown>) =>
    (await mcp.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as CallToolResult;
  const background = async (command: string, server = 'box') =>
    structured<{ job_id: string }>(await call('remote-bash', { server, command, mode: 'background' })).job_id;
  const jobStatus = async (id: string) =>
    structured<{ job: { status: string } }>(await call('get-job-status', { job_id: id, tail_logs: 0 })).job.status;

  async function login(page: Page): Promise<void> {
    await page.goto(`${served.origin}/login`);
    // Already logged in: the login page sends a session on to the overview.
    if (new URL(page.url()).pathname !== '/login') return;
    await page.fill('#token', TOKEN);
    await Promise.all([page.waitForURL(`${served.origin}/`), page.click('button[type=submit]')]);
  }

  beforeAll(async () => {
    sshd = await startSshd();
    home = tempHome();
    served = await startServed(['serve', '--http', '--host', '127.0.0.1', '--port', '0'], {
      DECKHAND_HOME: home.dir,
      DECKHAND_HTTP_TOKEN: TOKEN,
      DECKHAND_MAX_JOBS: '16',
      DECKHAND_MAX_JOBS_PER_SERVER: '16',
    });
    mcp = await connectHttp(served.origin, TOKEN);
    for (const name of ['box', 'box2']) {
      const added = await call('add-server', {
        name,
        host: sshd.host,
        port: sshd.port,
        user: sshd.user,
        private_key_path: sshd.clientKey,
        labels: { role: name === 'box' ? 'web' : 'db' },
      });
      expect(added.isError, textOf(added)).toBeFalsy();
    }
    chromium = await launchChromium();
    context = chromium.context;
    foreign = foreignRequests(context, served.origin);
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    await mcp?.close().catch(() => undefined);
    await served?.stop();
    await sshd?.stop();
    home?.cleanup();
  });

  it('asks for the token: a wrong one is refused, the right one opens the overview', async () => {
    const page = await context.newPage();
    await page.goto(`${served.origin}/jobs?state=failed`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await screenshot(page, 'dashboard', 'login');
    await page.fill('#token', 'not-the-token-at-all');
    const [wrong] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    expect(wrong?.status()).toBe(401);
    await expect(page.locator('.notice').textContent()).resolves.toContain('That token is not right');
    expect((await context.cookies()).find((c) => c.name === 'deckhand_dashboard')).toBeUndefined();
    await page.fill('#token', TOKEN);
    await Promise.all([page.waitForURL(`${served.origin}/jobs?state=failed`), page.click('button[type=submit]')]);
    const cookie = (await context.cookies()).find((c) => c.name === 'deckhand_dashboard');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie?.value).not.toContain(TOKEN);
    await page.goto(`${served.origin}/`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Overview');
    await page.close();
  });

  it('refuses requests without the session cookie, with a foreign Origin, or without the CSRF token', async () => {
    const id = await background(`sleep 30`);
    const host = `127.0.0.1:${served.port}`;
    const noCookie = await rawRequest(served.port, { path: '/jobs', headers: { host } });
    expect(noCookie.status).toBe(303);
    expect(noCookie.headers.location).toBe('/login?next=%2Fjobs');
    const stream = await rawRequest(served.port, { path: `/jobs/${id}/events`, headers: { host } });
    expect(stream.status).toBe(401);
    // The bearer header is the MCP endpoint's: it opens no page.
    const bearer = await rawRequest(served.port, {
      path: `/jobs/${id}`,
      headers: { host, authorization: `Bearer ${TOKEN}` },
    });
    expect(bearer.status).toBe(303);

    const cookie = await loginCookie(served, TOKEN);
    const pageRes = await rawRequest(served.port, { path: `/jobs/${id}`, headers: { host, cookie } });
    expect(pageRes.status).toBe(200);
    expect(pageRes.body).toContain(id);
    const csrf = csrfOf(pageRes.body);
    const post = (headers: Record<string, string>, body: string) =>
      rawRequest(served.port, {
        method: 'POST',
        path: `/jobs/${id}/cancel`,
        headers: { host, cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body,
      });
    const evil = await post({ origin: 'http://evil.example' }, `csrf=${encodeURIComponent(csrf)}`);
    expect(evil.status).toBe(403);
    expect(evil.body).toContain('not allowed');
    const otherPort = await post({ origin: 'http://127.0.0.1:1' }, `csrf=${encodeURIComponent(csrf)}`);
    expect(otherPort.status).toBe(403);
    const noOrigin = await post({}, `csrf=${encodeURIComponent(csrf)}`);
    expect(noOrigin.status).toBe(403);
    const noCsrf = await post({ origin: served.origin }, '');
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body).toContain('CSRF');
    const wrongCsrf = await post({ origin: served.origin }, 'csrf=guessed');
    expect(wrongCsrf.status).toBe(403);
    const foreignGet = await rawRequest(served.port, {
      path: '/jobs',
      headers: { host, cookie, origin: 'http://evil.example' },
    });
    expect(foreignGet.status).toBe(403);
    const rebound = await rawRequest(served.port, { path: '/jobs', headers: { host: 'evil.example', cookie } });
    expect(rebound.status).toBe(403);
    expect(await jobStatus(id)).toBe('running');

    // The same refusal in a real browser: a page on another port of the same host is same-site, so the browser
    // sends the cookie with its forged form; the Origin and the CSRF token stop it.
    const page = await context.newPage();
    await login(page);
    const evilServer = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<form id="f" method="post" action="${served.origin}/jobs/${id}/cancel"><input name="csrf" value="guess"></form>` +
          '<script>document.getElementById("f").submit()</script>',
      );
    });
    await new Promise<void>((r) => evilServer.listen(0, '127.0.0.1', () => r()));
    try {
      const evilOrigin = `http://127.0.0.1:${(evilServer.address() as AddressInfo).port}`;
      const refused = page.waitForResponse((r) => r.url().endsWith(`/jobs/${id}/cancel`));
      await page.goto(evilOrigin, { waitUntil: 'commit' });
      expect((await refused).status()).toBe(403);
      expect(await jobStatus(id)).toBe('running');
    } finally {
      evilServer.closeAllConnections();
      await new Promise((r) => evilServer.close(r));
      await page.close();
      await call('cancel-job', { job_id: id });
    }
    // That page was ours to make; it does not count as the dashboard reaching another origin.
    foreign.length = 0;
  });

  it('follows a 10 s job live (new lines without a reload), cancels it from the page and the remote process is gone', async () => {
    const marker = `sleep 1.${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
    const id = await background(`for i in 1 2 3 4 5 6 7 8 9 10; do echo tick-$i; echo warn-$i >&2; ${marker}; done`);
    await waitFor(async () => (await jobStatus(id)) === 'running', 'the job to start');
    const page = await context.newPage();
    await login(page);
    await page.goto(`${served.origin}/jobs/${id}`);
    // Set in the page and read back later: a reload would lose it.
    await page.evaluate('window.marker = "same page"');
    const initial = await page.locator('#log .ln').count();
    await screenshot(page, 'dashboard', 'job-running');
    // A line that was not on the page when it loaded arrives while the job still runs.
    const seen = Number((await page.locator('#log .ln-stdout').last().textContent())?.replace('tick-', '') || 0);
    const next = `tick-${seen + 1}`;
    await page.locator('#log .ln-stdout', { hasText: new RegExp(`^${next}$`) }).waitFor({ timeout: 5_000 });
    expect(await page.locator('#log .ln').count()).toBeGreaterThan(initial);
    expect(await jobStatus(id)).toBe('running');
    expect(await page.evaluate('window.marker')).toBe('same page');
    // stdout and stderr lines look different.
    await expect(page.locator('#log .ln-stderr').first().textContent()).resolves.toMatch(/^warn-\d+$/);
    const colour = (sel: string) => page.evaluate(`getComputedStyle(document.querySelector('${sel}')).color`);
    const colours = [await colour('#log .ln-stdout'), await colour('#log .ln-stderr')];
    expect(colours[0]).toMatch(/^rgb/);
    expect(colours[0]).not.toBe(colours[1]);
    await waitFor(() => remoteProcessCount(sshd, marker) === 1, 'the job sleeping on the server', 5_000, 50);

    await page.click('text=Cancel…');
    await expect(page.locator('h1').textContent()).resolves.toContain('Cancel job');
    await screenshot(page, 'dashboard', 'cancel-confirm');
    await Promise.all([page.waitForURL(new RegExp(`/jobs/${id}\\?done=cancel$`)), page.click('button.danger')]);
    await page.evaluate('window.marker = "after cancel"');
    await page.locator('#job-status', { hasText: /^cancelled$/ }).waitFor({ timeout: 20_000 });
    expect(await page.evaluate('window.marker')).toBe('after cancel');
    expect(await page.locator('[data-when-active]').isHidden()).toBe(true);
    await screenshot(page, 'dashboard', 'job-cancelled');
    expect(await jobStatus(id)).toBe('cancelled');
    // Over a second SSH connection: nothing of the job is left, and the loop does not start another sleep.
    await waitFor(() => remoteProcessCount(sshd, marker) === 0, 'the remote sleep to be killed', 10_000, 100);
    await new Promise((r) => setTimeout(r, 1500));
    expect(remoteProcessCount(sshd, marker)).toBe(0);
    await page.close();
  });

  it('filters by state, server, type and text and pages through 500 jobs, newest first, with the filters in the URL', async () => {
    // 500 real jobs through MCP: 375 on box, 125 on box2, every 5th one failing (25 of them on box2), 6 with a word
    // to search for.
    const started = Date.now();
    const specs = Array.from({ length: 500 }, (_, i) => ({
      server: i % 4 === 1 ? 'box2' : 'box',
      command: i % 5 === 0 ? 'false' : i % 71 === 3 ? `echo needle-${i}` : 'true',
    }));
    const ids: string[] = [];
    for (let i = 0; i < specs.length; i += 25) {
      const chunk = specs.slice(i, i + 25);
      ids.push(...(await Promise.all(chunk.map((c) => background(c.command, c.server)))));
    }
    const busy = async () => {
      for (const status of ['queued', 'running']) {
        const r = structured<{ jobs: unknown[] }>(await call('list-jobs', { status, limit: 1 }));
        if (r.jobs.length) return true;
      }
      return false;
    };
    await waitFor(async () => !(await busy()), 'the 500 jobs to end', 240_000, 500);
    console.log(`created and ran 500 jobs through MCP in ${Date.now() - started} ms`);

    const page = await context.newPage();
    await login(page);
    const walk = async (firstUrl: string) => {
      const seen: string[] = [];
      let url: string | null = firstUrl;
      let pages = 0;
      while (url) {
        await page.goto(url);
        pages++;
        const rows = await page
          .locator('tr[data-job]')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-job')));
        seen.push(...(rows as string[]));
        const older = page.locator('a[rel=next]');
        url = (await older.count()) ? new URL((await older.getAttribute('href')) as string, served.origin).href : null;
      }
      return { seen, pages };
    };
    const all = await walk(`${served.origin}/jobs?type=remote-bash`);
    const mine = all.seen.filter((id) => ids.includes(id));
    expect(mine).toHaveLength(500);
    expect(new Set(all.seen).size).toBe(all.seen.length);
    expect(all.seen).toEqual([...all.seen].sort().reverse());
    expect(all.pages).toBeGreaterThanOrEqual(10);

    // The filter form puts the filters in the URL, and "Older" keeps them.
    await page.goto(`${served.origin}/jobs`);
    await page.selectOption('select[name=state]', 'failed');
    await page.selectOption('select[name=server]', 'box2');
    await Promise.all([page.waitForURL(/state=failed/), page.click('form.filters button[type=submit]')]);
    const url = new URL(page.url());
    expect(url.searchParams.get('state')).toBe('failed');
    expect(url.searchParams.get('server')).toBe('box2');
    await screenshot(page, 'dashboard', 'jobs-filtered');
    const failedOnBox2 = await walk(page.url());
    const expected = ids.filter((_, i) => i % 5 === 0 && specs[i]?.server === 'box2');
    expect(expected).toHaveLength(25);
    expect(failedOnBox2.seen.filter((id) => ids.includes(id)).sort()).toEqual(expected.sort());
    expect(await page.locator('.status').allTextContents()).not.toContain('completed');

    const failed = await walk(`${served.origin}/jobs?state=failed&server=box`);
    expect(failed.seen.filter((id) => ids.includes(id))).toHaveLength(75);
    expect(failed.pages).toBe(2);

    const needles = await walk(`${served.origin}/jobs?text=NEEDLE-`);
    const want = ids.filter((_, i) => specs[i]?.command.startsWith('echo needle-'));
    expect(want.length).toBe(6);
    expect(needles.seen.sort()).toEqual(want.sort());

    const none = await walk(`${served.origin}/jobs?type=setup-server`);
    expect(none.seen).toEqual([]);
    await expect(page.locator('main').textContent()).resolves.toContain('No jobs match');

    // A filter value that cannot be used is named, not silently dropped.
    await page.goto(`${served.origin}/jobs?state=exploded`);
    await expect(page.locator('.notice').textContent()).resolves.toContain('state "exploded" is not one of');
    await page.close();
  }, 300_000);

  it('draws every page (screenshots kept), shows the servers with their pinned keys, measures the jobs list', async () => {
    const page = await context.newPage();
    await login(page);
    const someJob = structured<{ jobs: { id: string }[] }>(await call('list-jobs', { status: 'failed', limit: 1 }))
      .jobs[0];
    const pages: [string, string, string][] = [
      ['overview', '/', 'Overview'],
      ['jobs', '/jobs', 'Jobs'],
      ['job-failed', `/jobs/${someJob?.id}`, 'Job'],
      ['servers', '/servers', 'Servers'],
      ['pool', '/pool', 'Pool'],
      ['batches', '/batches', 'Batches'],
      ['templates', '/templates', 'Templates'],
      ['schedules', '/schedules', 'Schedules'],
    ];
    for (const [name, path, title] of pages) {
      const res = await page.goto(`${served.origin}${path}`);
      expect(res?.status(), path).toBe(200);
      await expect(page.locator('h1').first().textContent()).resolves.toContain(title);
      await screenshot(page, 'dashboard', name);
    }
    // The failed job's page: its error, a hint, the exit code.
    await page.goto(`${served.origin}/jobs/${someJob?.id}`);
    await expect(page.locator('#job-error').textContent()).resolves.toContain('exited with code 1');
    await expect(page.locator('#job-error .hint').textContent()).resolves.toContain('The command itself failed');
    // Servers: labels, the pinned host key, running jobs.
    await page.goto(`${served.origin}/servers`);
    await expect(page.locator('tr[data-server=box] .fingerprint').textContent()).resolves.toBe(sshd.hostKeyFingerprint);
    await expect(page.locator('tr[data-server=box]').textContent()).resolves.toContain('role=web');
    // Pool: the serving deckhand, alive, on the embedded store.
    await page.goto(`${served.origin}/pool`);
    await expect(page.locator('main').textContent()).resolves.toMatch(/Job system: SQLite .*deckhand\.db/);
    await expect(page.locator('#pool-instances tbody tr').first().textContent()).resolves.toMatch(
      /\(this one\)[\s\S]*alive/,
    );
    // Overview: counts by state add up to at least the 500 jobs made above.
    await page.goto(`${served.origin}/`);
    const counts = (await page.locator('.count').allTextContents()).map((t) => Number(t.replace('+', '')));
    expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(500);

    // First paint of the jobs list (measured, not asserted): this store keeps 100 finished jobs in its document and
    // the rest in its archive, so the page reads both.
    const samples: { fcp: number; server: number }[] = [];
    for (let i = 0; i < 5; i++) {
      await page.goto(`${served.origin}/jobs?state=completed`);
      samples.push(
        (await page.evaluate(`new Promise((resolve) => {
          const nav = performance.getEntriesByType('navigation')[0];
          const done = (fcp) => resolve({ fcp, server: nav.responseStart - nav.requestStart });
          new PerformanceObserver((list) => done(list.getEntries()[0].startTime)).observe({ type: 'paint', buffered: true });
          setTimeout(() => done(-1), 5000);
        })`)) as { fcp: number; server: number },
      );
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    console.log(
      `jobs list (500+ jobs, 50 a page): first contentful paint median ${median(samples.map((s) => s.fcp)).toFixed(0)} ms, ` +
        `server time to first byte median ${median(samples.map((s) => s.server)).toFixed(0)} ms`,
    );
    expect(samples.every((s) => s.fcp > 0)).toBe(true);
    await page.close();
    // Nothing any page did reached for another origin (scripts, styles, fonts, images, connections).
    expect(foreign).toEqual([]);
  });

  it('in read-only mode shows no action and refuses them', async () => {
    const id = await background('sleep 120');
    const ro = await startServed(['serve', '--http', '--host', '127.0.0.1', '--port', '0'], {
      DECKHAND_HOME: home.dir,
      DECKHAND_HTTP_TOKEN: TOKEN,
      DECKHAND_DASHBOARD: 'readonly',
    });
    // Its own browser: cookies do not tell ports apart, and this one must not replace the other's session.
    const other = await launchChromium();
    try {
      const page = await other.context.newPage();
      await page.goto(`${ro.origin}/login`);
      await page.fill('#token', TOKEN);
      await Promise.all([page.waitForURL(`${ro.origin}/`), page.click('button[type=submit]')]);
      await page.goto(`${ro.origin}/jobs/${id}`);
      await expect(page.locator('#job-status').textContent()).resolves.toBe('running');
      await expect(page.locator('.readonly-badge').textContent()).resolves.toBe('read-only');
      expect(await page.locator('.actions').count()).toBe(0);
      expect(await page.locator('text=Cancel…').count()).toBe(0);
      // The only form that posts is the logout.
      const posting = await page
        .locator('form[method=post]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('action')));
      expect(posting).toEqual(['/logout']);
      await screenshot(page, 'dashboard', 'job-readonly');
      const confirm = await page.goto(`${ro.origin}/jobs/${id}/cancel`);
      expect(confirm?.status()).toBe(403);
      await page.goto(`${ro.origin}/jobs/${id}`);
      const csrf = csrfOf(await page.content());
      const cookie = (await other.context.cookies()).find((c) => c.name === 'deckhand_dashboard');
      const post = await rawRequest(ro.port, {
        method: 'POST',
        path: `/jobs/${id}/cancel`,
        headers: {
          host: `127.0.0.1:${ro.port}`,
          origin: ro.origin,
          cookie: `deckhand_dashboard=${cookie?.value}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: `csrf=${encodeURIComponent(csrf)}`,
      });
      expect(post.status).toBe(403);
      expect(post.body).toContain('read-only');
      expect(await jobStatus(id)).toBe('running');
    } finally {
      await other.close();
      await ro.stop();
      await call('cancel-job', { job_id: id });
    }
  });
});
