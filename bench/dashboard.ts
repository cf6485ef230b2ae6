// npm run bench:dashboard: how quickly the dashboard's pages paint with many jobs in the store.
// 100,000 finished jobs are written straight into deckhand.db (bench/seed.ts: what the store would hold after they
// ran), since creating them through MCP would take an hour here. Then the built
// binary serves them (serve --http) and Debian's Chromium loads each page several times: first contentful paint
// and server time to first byte, median and p95. Measured, not asserted (the aim: under 300 ms).
import path from 'node:path';
import { launchChromium } from '../tests/helpers/browser.js';
import { startServed } from '../tests/helpers/dashboard.js';
import { tempHome } from '../tests/helpers/home.js';
import { openStores } from '../src/jobs/store/open.js';
import { fill } from './seed.js';
import { fmtMs, percentile, printTable, type Row } from './stats.js';

const JOBS = Number(process.env.BENCH_DASHBOARD_JOBS ?? 100_000);
const RUNS = 7;
const TOKEN = 'bench-dashboard-token-0123456789';

async function seed(dir: string): Promise<{ anyId: string }> {
  // The schema first (migrations run on open), then the rows.
  await (await openStores({ home: dir }, { instance: { id: 'inst_bench', host: 'bench', pid: process.pid } })).close();
  const ids = fill(path.join(dir, 'deckhand.db'), JOBS);
  return { anyId: ids[Math.floor(ids.length / 2)] as string };
}

async function main(): Promise<void> {
  const home = tempHome();
  const rows: Row[] = [];
  const seeded = performance.now();
  const { anyId } = await seed(home.dir);
  console.log(`seeded ${JOBS} finished jobs in ${fmtMs(performance.now() - seeded)}`);
  const served = await startServed(['serve', '--http', '--host', '127.0.0.1', '--port', '0'], {
    DECKHAND_HOME: home.dir,
    DECKHAND_HTTP_TOKEN: TOKEN,
  });
  const chromium = await launchChromium();
  try {
    const page = await chromium.context.newPage();
    await page.goto(`${served.origin}/login`);
    await page.fill('#token', TOKEN);
    await Promise.all([page.waitForURL(`${served.origin}/`), page.click('button[type=submit]')]);
    const pages: [string, string][] = [
      ['jobs list, newest 50', '/jobs'],
      ['jobs list, 11th page', ''],
      ['jobs, state=failed', '/jobs?state=failed'],
      ['jobs, server=db-1', '/jobs?server=db-1'],
      ['jobs, text search (5,000-job scan budget)', '/jobs?text=job%2099999'],
      ['job detail (archived job)', `/jobs/${anyId}`],
      ['overview (counts capped at 1,000 per state)', '/'],
    ];
    // The 11th page: follow "Older" ten times once, then time that URL.
    await page.goto(`${served.origin}/jobs`);
    for (let i = 0; i < 10; i++) {
      const href = await page.locator('a[rel=next]').getAttribute('href');
      await page.goto(`${served.origin}${href}`);
    }
    (pages[1] as [string, string])[1] = new URL(page.url()).pathname + new URL(page.url()).search;
    for (const [figure, url] of pages) {
      const fcp: number[] = [];
      const ttfb: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        await page.goto(`${served.origin}${url}`);
        const m = (await page.evaluate(`new Promise((resolve) => {
          const nav = performance.getEntriesByType('navigation')[0];
          const done = (fcp) => resolve({ fcp, ttfb: nav.responseStart - nav.requestStart });
          new PerformanceObserver((l) => done(l.getEntries()[0].startTime)).observe({ type: 'paint', buffered: true });
          setTimeout(() => done(NaN), 5000);
        })`)) as { fcp: number; ttfb: number };
        fcp.push(m.fcp);
        ttfb.push(m.ttfb);
      }
      rows.push({
        figure,
        deckhand: `FCP p50 ${fmtMs(percentile(fcp, 50))}, p95 ${fmtMs(percentile(fcp, 95))}`,
        reference: `server TTFB p50 ${fmtMs(percentile(ttfb, 50))}`,
        ratio: '',
        target: figure.startsWith('jobs list, newest') ? '< 300 ms (issue 19)' : '',
      });
    }
  } finally {
    await chromium.close();
    await served.stop();
    home.cleanup();
  }
  console.log(`\ndashboard pages over ${JOBS.toLocaleString('en-US')} jobs (${RUNS} loads each, Chromium headless):`);
  printTable(rows);
}

await main();
