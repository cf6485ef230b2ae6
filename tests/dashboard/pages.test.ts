// The dashboard's pages in-process over a real app (no browser): the view models of every source (the pool and
// templates still seams; batches, approvals and run again wired, see safe-hands.e2e.test.ts) render, and every page
// keeps to the CSP (no inline script or style, no event-handler attributes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type Deckhand } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDashboard, defaultSources, serveDashboard, type DashboardServer } from '../../src/dashboard/index.js';
import type { DashboardSources, TemplateDetail } from '../../src/dashboard/sources.js';
import type { PoolStatus } from '../../src/jobs/index.js';
import { silentLogger } from '../../src/logger.js';
import { createJob } from '../../src/jobs/types.js';
import { csrfOf, loginCookie, rawRequest } from '../helpers/dashboard.js';
import { tempHome } from '../helpers/home.js';

const TOKEN = 'pages-test-token-0123456789';
const PARENT = 'job_01JD3Q8X5K2M7N4P6R8S0T2V4W';
const NIGHTLY: TemplateDetail = {
  id: 'nightly-backup',
  name: 'Nightly backup',
  description: 'pg_dump to the backup volume',
  schedule: {
    expression: '0 3 * * *',
    in_words: 'At 03:00',
    tz: 'Europe/Berlin',
    paused: false,
    next_runs: ['2026-05-02T01:00:00.000Z', '2026-05-03T01:00:00.000Z'],
  },
  last_run: { job_id: PARENT, status: 'failed', at: '2026-05-01T01:00:03.000Z' },
  success_rate: 0.9,
  p50_ms: 42_000,
  p95_ms: 95_000,
  params: [{ name: 'db', required: true }],
  history: [{ job_id: PARENT, status: 'failed', at: '2026-05-01T01:00:03.000Z', duration_ms: 3000 }],
};

const POOL: PoolStatus = {
  store: { kind: 'postgres', location: 'db.internal:5432/deckhand' },
  owner_timeout_s: 15,
  instances: [
    {
      id: 'inst-a',
      host: 'ops-1',
      pid: 4242,
      version: '0.2.0',
      started_at: '2026-05-01T09:00:00.000Z',
      heartbeat_at: '2026-05-01T10:00:00.000Z',
      alive: true,
      self: true,
      slots_max: 8,
      slots_used: 3,
      running: [PARENT],
    },
    {
      id: 'inst-b',
      host: 'ops-2',
      pid: 77,
      version: '0.2.0',
      started_at: '2026-05-01T09:00:00.000Z',
      heartbeat_at: '2026-05-01T09:59:20.000Z',
      alive: false,
      self: false,
      slots_max: 8,
      slots_used: 1,
      running: ['job_01JD3Q8X5K2M7N4P6R8S0T2V4Y'],
    },
  ],
  servers: [{ server: 'web-1', running: 4, limit: 4, queued: 7 }],
  queue: {
    depth: 9,
    by_priority: { high: 1, normal: 6, low: 2 },
    delayed: 0,
    oldest_queued_at: '2026-05-01T09:58:00.000Z',
    oldest_age_s: 120,
  },
  orphaned: [
    {
      job_id: 'job_01JD3Q8X5K2M7N4P6R8S0T2V4Y',
      server: 'web-1',
      owner: { instance: 'inst-b', host: 'ops-2', pid: 77 },
      take_over_by: '2026-05-01T09:59:35.000Z',
    },
  ],
  at: '2026-05-01T10:00:00.000Z',
};

describe('dashboard pages and seams', () => {
  let home: { dir: string; cleanup(): void };
  let app: Deckhand;
  let server: DashboardServer;
  let cookie: string;
  let origin: string;
  const get = (path: string) =>
    rawRequest(server.port, { path, headers: { host: `127.0.0.1:${server.port}`, cookie } });

  beforeAll(async () => {
    home = tempHome();
    const config = loadConfig({ DECKHAND_HOME: home.dir });
    app = await createApp({
      config,
      logger: silentLogger(),
      env: {},
      process: { pid: process.pid, isAlive: () => true },
    });
    const base = defaultSources({ jobs: app.services.jobs, servers: app.services.servers, config });
    const sources: DashboardSources = {
      ...base,
      actions: {
        ...base.actions,
        runAgain: async () => ({
          kind: 'started',
          job: createJob({ type: 'remote-bash', server: 'box', params: {}, timeout_s: 1 }, new Date()),
        }),
      },
      pool: {
        instances: async () => [
          {
            id: 'inst-a',
            host: 'ops-1',
            pid: 4242,
            version: '0.2.0',
            alive: true,
            slots_used: 3,
            slots_total: 8,
            heartbeat_at: '2026-05-01T10:00:00.000Z',
          },
        ],
        status: async () => POOL,
      },
      batches: {
        list: async () => ({
          batches: [
            {
              id: PARENT,
              title: 'uptime on 12 servers',
              status: 'running',
              created_at: '2026-05-01T10:00:00.000Z',
              counts: { completed: 11, running: 1 },
              total: 12,
            },
          ],
          next_cursor: null,
        }),
        get: async (id) =>
          id !== PARENT
            ? undefined
            : {
                id: PARENT,
                title: 'uptime on 12 servers',
                status: 'running',
                created_at: '2026-05-01T10:00:00.000Z',
                counts: { completed: 11, running: 1 },
                total: 12,
                children: Array.from({ length: 12 }, (_, i) => ({
                  server: `web-${i + 1}`,
                  job_id: PARENT,
                  status: i === 11 ? 'running' : 'completed',
                  exit_code: i === 11 ? null : 0,
                  duration_ms: 800 + i,
                })),
                groups: [
                  {
                    servers: 'web-1..web-11',
                    count: 11,
                    status: 'completed',
                    exit_code: 0,
                    stdout: 'up 3 days',
                    stderr: '',
                  },
                ],
              },
      },
      templates: {
        list: async () => [NIGHTLY],
        get: async (id) => (id === NIGHTLY.id ? NIGHTLY : undefined),
        templateOf: () => undefined,
      },
      approvals: {
        pending: async () => [
          {
            id: 'apr_01JD3Q8X5K2M7N4P6R8S0T2V4W',
            status: 'pending',
            tool: 'deploy-app',
            servers: ['web-1'],
            what: 'deploy-app n8n on web-1',
            items: [],
            reasons: [],
            requested_by: 'claude-code 2.1.0 (stdio)',
            requested_at: '2026-05-01T10:00:00.000Z',
            expires_at: '2026-05-01T10:15:00.000Z',
            decided_by: null,
            decided_at: null,
            approve_with: 'deckhand approve apr_01JD3Q8X5K2M7N4P6R8S0T2V4W',
          },
        ],
        approve: async () => {
          throw new Error('not in this test');
        },
        deny: async () => {
          throw new Error('not in this test');
        },
      },
    };
    const dashboard = createDashboard({
      sources,
      token: { token: TOKEN, source: { kind: 'env' } },
      mode: 'full',
      allowedHosts: ['127.0.0.1', 'localhost'],
      allowedOrigins: [],
      version: 'test',
      logger: silentLogger(),
    });
    server = await serveDashboard(dashboard, silentLogger(), { host: '127.0.0.1', port: 0 });
    origin = `http://127.0.0.1:${server.port}`;
    cookie = await loginCookie({ port: server.port, origin }, TOKEN);
  });

  afterAll(async () => {
    await server?.close();
    await app?.close();
    home?.cleanup();
  });

  it('render the view models the lead will wire: pool, schedules, approvals, batches, templates', async () => {
    const overview = await get('/');
    expect(overview.status).toBe(200);
    expect(overview.body).toContain('inst-a');
    expect(overview.body).toContain('3 / 8');
    expect(overview.body).toContain('Nightly backup');
    expect(overview.body).toContain('deploy-app n8n on web-1');
    const batches = await get('/batches');
    expect(batches.body).toContain('uptime on 12 servers');
    const batch = await get(`/batches/${PARENT}`);
    expect(batch.body.match(/<tr data-job="[^"]+">\s*<td>web-\d+<\/td>/g)).toHaveLength(12);
    expect(batch.body).toContain('web-1..web-11');
    expect(batch.body).toContain('up 3 days');
    expect((await get('/batches/job_01JD3Q8X5K2M7N4P6R8S0T2V4X')).status).toBe(404);
    const templates = await get('/templates');
    expect(templates.body).toContain('At 03:00');
    expect(templates.body).toContain('90 %');
    const template = await get('/templates/nightly-backup');
    expect(template.body).toContain('2026-05-03 01:00:00 UTC');
    expect(template.body).toContain('Europe/Berlin');
    expect((await get('/schedules')).body).toContain('Nightly backup');
    expect((await get('/templates/nope')).status).toBe(404);
    const pool = await get('/pool');
    expect(pool.status).toBe(200);
    expect(pool.body).toContain('PostgreSQL db.internal:5432/deckhand');
    expect(pool.body).toMatch(/inst-a <span class="muted">\(this one\)<\/span>/);
    expect(pool.body).toContain('3 / 8');
    expect(pool.body).toMatch(/<strong class="warn">dead<\/strong>/);
    expect(pool.body).toMatch(/<td>web-1<\/a><\/td>|web-1<\/a>/);
    expect(pool.body).toContain('4 / 4');
    expect(pool.body).toMatch(/9 queued: 1 high,\s+6 normal,\s+2\s+low/);
    expect(pool.body).toContain('Waiting to be taken over');
    expect(pool.body).toContain('taken over by 2026-05-01 09:59:35 UTC');
  });

  it('offers run again where the seam is wired, and it redirects to the new job', async () => {
    // No such job in the store: the page says so, the action needs none.
    expect((await get(`/jobs/${PARENT}`)).status).toBe(404);
    const page = await get('/servers');
    const r = await rawRequest(server.port, {
      method: 'POST',
      path: `/jobs/${PARENT}/run-again`,
      headers: {
        host: `127.0.0.1:${server.port}`,
        origin,
        cookie,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `csrf=${encodeURIComponent(csrfOf(page.body))}`,
    });
    expect(r.status).toBe(303);
    expect(r.headers.location).toMatch(/^\/jobs\/job_[0-9A-Z]{26}\?done=again$/);
    const retry = await rawRequest(server.port, {
      method: 'POST',
      path: `/jobs/${PARENT}/retry`,
      headers: {
        host: `127.0.0.1:${server.port}`,
        origin,
        cookie,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `csrf=${encodeURIComponent(csrfOf(page.body))}`,
    });
    expect(retry.status).toBe(404);
    expect(retry.body).toContain('Retry is not available in this version');
  });

  it('keep every page within the CSP: no inline script or style, no event handlers', async () => {
    for (const path of [
      '/',
      '/jobs',
      '/servers',
      '/pool',
      '/batches',
      `/batches/${PARENT}`,
      '/templates',
      '/schedules',
      '/approvals',
      '/audit',
      '/login',
    ]) {
      const r = await get(path);
      const body =
        path === '/login'
          ? (await rawRequest(server.port, { path, headers: { host: `127.0.0.1:${server.port}` } })).body
          : r.body;
      expect(body, path).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/i);
      expect(body, path).not.toMatch(/\sstyle=/i);
      expect(body, path).not.toMatch(/\son[a-z]+=/i);
      expect(body, path).not.toMatch(/(src|href)="(https?:)?\/\//i);
    }
    const assets = await get('/assets/dashboard.js');
    expect(assets.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(assets.headers['content-security-policy']).toContain("script-src 'self'");
    expect((await get('/assets/../../package.json')).status).toBe(404);
  });
});
