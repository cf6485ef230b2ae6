// The templates and schedules pages in-process over a real job store and the real TemplateService (no browser, no
// SSH: runs are recorded as jobs, the safety gate is a stand-in): list, detail without env values, run now with
// parameters (started, or the confirmation policy asks for, carrying the parameters), pause/resume audited, the
// jobs list's template filter, read-only mode, and the CSP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditInput } from '../../src/audit/index.js';
import { createDashboard, serveDashboard, type DashboardServer } from '../../src/dashboard/index.js';
import type { DashboardSources } from '../../src/dashboard/sources.js';
import { templateSource } from '../../src/dashboard/template-source.js';
import type { Stores } from '../../src/jobs/store/contract.js';
import { openStores } from '../../src/jobs/store/open.js';
import { newJobId } from '../../src/jobs/types.js';
import { silentLogger } from '../../src/logger.js';
import type { AdmitRequest, Admission, SafetyService } from '../../src/safety/index.js';
import { TemplateService } from '../../src/templates/index.js';
import { csrfOf, loginCookie, rawRequest } from '../helpers/dashboard.js';
import { tempHome } from '../helpers/home.js';

const TOKEN = 'templates-pages-token-0123456789';

describe('templates pages', () => {
  let home: { dir: string; cleanup(): void };
  let stores: Stores;
  let templates: TemplateService;
  const servers: DashboardServer[] = [];
  const audit: AuditInput[] = [];
  const admitted: AdmitRequest[] = [];
  let policy: 'allow' | 'ask' = 'allow';

  const safety: Pick<SafetyService, 'admit'> = {
    admit: async (req): Promise<Admission> => {
      admitted.push(req);
      if (policy === 'ask' && !req.asker)
        return {
          ok: false,
          refusal: {
            code: 'approval_pending',
            message: 'Policy asks a person.',
            hint: 'Approve it.',
            approval: {
              id: 'apr_01JD3Q8X5K2M7N4P6R8S0T2V4W',
              status: 'pending',
              tool: 'run-template',
              servers: ['web'],
              what: 'run-template greet on web',
              items: [],
              reasons: [],
              requested_by: 'carol',
              requested_at: '2026-05-01T10:00:00.000Z',
              expires_at: '2026-05-01T10:15:00.000Z',
              decided_by: null,
              decided_at: null,
              approve_with: 'deckhand approve apr_01JD3Q8X5K2M7N4P6R8S0T2V4W',
            },
          },
        } as unknown as Admission;
      return {
        ok: true,
        personApproved: !!req.asker,
        jobId: newJobId(Date.now()),
        reasons: [],
        run: (act: () => Promise<unknown>) => act(),
      } as unknown as Admission;
    },
  };

  async function serve(mode: 'full' | 'readonly') {
    const sources: DashboardSources = {
      jobs: {
        get: (id) => stores.jobs.get(id).then((j) => j ?? Promise.reject(new Error('no job'))),
        list: (f, l, c) => stores.jobs.list(f, l, c),
        status: () => Promise.reject(new Error('not here')),
        requestCancel: () => Promise.reject(new Error('not here')),
        executorAlive: async () => false,
      } as DashboardSources['jobs'],
      servers: { list: async () => [] },
      stats: { countByStatus: async () => ({ counts: {} as never, capped: {} }) },
      actions: { cancel: () => Promise.reject(new Error('not here')) },
      limits: { maxJobs: 4, maxPerServer: 2 },
      templates: templateSource({
        templates,
        remoteBash: { targetNames: async () => ['web'] },
        safety,
        audit: { append: async (e) => (audit.push(e), e as never) },
      }),
    };
    const dashboard = createDashboard({
      sources,
      token: { token: TOKEN, source: { kind: 'env' } },
      mode,
      allowedHosts: ['127.0.0.1', 'localhost'],
      allowedOrigins: [],
      version: 'test',
      logger: silentLogger(),
    });
    const server = await serveDashboard(dashboard, silentLogger(), { host: '127.0.0.1', port: 0 });
    servers.push(server);
    const origin = `http://127.0.0.1:${server.port}`;
    const cookie = await loginCookie({ port: server.port, origin }, TOKEN);
    const headers = { host: `127.0.0.1:${server.port}`, cookie };
    return {
      get: (path: string) => rawRequest(server.port, { path, headers }),
      post: (path: string, form: Record<string, string>, csrf: string) =>
        rawRequest(server.port, {
          method: 'POST',
          path,
          headers: { ...headers, origin, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrf, ...form }).toString(),
        }),
    };
  }

  beforeAll(async () => {
    home = tempHome();
    stores = await openStores({ home: home.dir }, { instance: { id: 'inst_pages', host: 'test', pid: process.pid } });
    templates = new TemplateService({
      store: stores.templates,
      secrets: stores.secrets,
      runner: {
        targetNames: async () => ['web'],
        start: async (input) =>
          (
            await stores.jobs.create(
              [
                {
                  id: input.id ?? newJobId(Date.now()),
                  type: 'remote-bash',
                  server: 'web',
                  params: { command: input.command },
                  timeout_s: 60,
                  template: input.origin?.template ?? null,
                },
              ],
              Date.now(),
            )
          )[0]!,
      },
      jobs: { list: (f, l, c) => stores.jobs.list(f, l, c), cancel: async () => undefined },
    });
    await templates.save({
      name: 'greet',
      description: 'says hello',
      command: 'echo "hello $WHO"',
      target: { server: 'web' },
      env: { API_TOKEN: 'secret-token-value' },
      params: [{ name: 'WHO', default: 'world', description: 'whom to greet' }],
    });
    await templates.save({ name: 'greet', command: 'echo "hello, $WHO"' });
    await templates.save({
      name: 'nightly',
      command: 'echo nightly',
      target: { server: 'web' },
      schedule: { cron: '30 2 * * *', tz: 'Europe/Berlin' },
    });
  });

  afterAll(async () => {
    for (const s of servers) await s.close();
    await stores?.close();
    home?.cleanup();
  });

  it('lists templates and schedules with words, zone, next runs and statistics', async () => {
    const d = await serve('full');
    const list = await d.get('/templates');
    expect(list.status).toBe(200);
    expect(list.body).toMatch(/<a href="\/templates\/greet">greet<\/a>/);
    expect(list.body).toContain('At 02:30 (Europe/Berlin)');
    expect(list.body).toMatch(/\d{4}-\d\d-\d\d (00|01):30:00 UTC/);
    const schedules = await d.get('/schedules');
    expect(schedules.body).toContain('nightly');
    expect(schedules.body).not.toContain('/templates/greet');
  });

  it('shows a template without its env values, and runs it now with parameters', async () => {
    const d = await serve('full');
    const page = await d.get('/templates/greet');
    expect(page.status).toBe(200);
    expect(page.body).toContain('API_TOKEN');
    expect(page.body).not.toContain('secret-token-value');
    expect(page.body).toMatch(/<td>v2<\/td>\s*<td>[^<]+<\/td>\s*<td>command<\/td>/);
    expect(page.body).toContain('name="param.WHO"');
    const run = await d.post('/templates/greet/run', { 'param.WHO': 'carol' }, csrfOf(page.body));
    expect(run.status, run.body).toBe(303);
    const id = /^\/jobs\/(job_[0-9A-Z]{26})\?done=again$/.exec(run.headers.location ?? '')?.[1];
    expect(id).toBeDefined();
    const job = await stores.jobs.get(id!);
    expect(job?.template).toMatchObject({ version: 2, trigger: 'manual' });
    const req = admitted.at(-1)!;
    expect(req.tool).toBe('run-template');
    expect(req.caller).toMatchObject({ via: 'dashboard', person: expect.stringContaining('dashboard') });
    expect(req.args).toMatchObject({ template: 'greet', params: { WHO: 'carol' } });

    const after = await d.get('/templates/greet');
    expect(after.body).toContain(`<a href="/jobs/${id}">${id}</a>`);
    expect(after.body).toMatch(/1 runs: 0 completed/);
    const filtered = await d.get('/jobs?template=greet');
    expect(filtered.body).toContain(id);
    expect(filtered.body).toMatch(/<option value="greet"\s+selected/);
    expect((await d.get('/jobs?template=nightly')).body).not.toContain(id);
  });

  it('asks for confirmation where policy asks, carrying the parameters', async () => {
    const d = await serve('full');
    policy = 'ask';
    try {
      const page = await d.get('/templates/greet');
      const ask = await d.post('/templates/greet/run', { 'param.WHO': 'dave' }, csrfOf(page.body));
      expect(ask.status).toBe(200);
      expect(ask.body).toContain('needs your approval');
      expect(ask.body).toContain('name="param.WHO" value="dave"');
      expect(ask.body).toContain('name="confirm" value="yes"');
      const confirmed = await d.post(
        '/templates/greet/run',
        { 'param.WHO': 'dave', confirm: 'yes' },
        csrfOf(page.body),
      );
      expect(confirmed.status).toBe(303);
      expect(admitted.at(-1)?.asker).toBeDefined();
    } finally {
      policy = 'allow';
    }
  });

  it('pauses and resumes a schedule, audited under the person', async () => {
    const d = await serve('full');
    const page = await d.get('/templates/nightly');
    expect(page.body).toContain('id="pause"');
    const paused = await d.post('/templates/nightly/pause', {}, csrfOf(page.body));
    expect(paused.status).toBe(303);
    expect(paused.headers.location).toBe('/templates/nightly?done=paused');
    const shown = await d.get('/templates/nightly?done=paused');
    expect(shown.body).toContain('id="paused"');
    expect(shown.body).toContain('id="resume"');
    expect((await d.get('/templates')).body).toContain('paused');
    expect(audit.at(-1)).toMatchObject({ tool: 'pause-schedule', outcome: 'paused' });
    expect(audit.at(-1)?.who?.person).toContain('dashboard');
    const resumed = await d.post('/templates/nightly/resume', {}, csrfOf(page.body));
    expect(resumed.status).toBe(303);
    expect((await d.get('/templates/nightly')).body).not.toContain('id="paused"');
    expect(audit.at(-1)).toMatchObject({ tool: 'resume-schedule', outcome: 'resumed' });
    const noSchedule = await d.post('/templates/greet/pause', {}, csrfOf(page.body));
    expect(noSchedule.status).toBe(400);
    expect((await d.get('/templates/nope')).status).toBe(404);
  });

  it('refuses a POST without the CSRF token, and hides and refuses the actions when read-only', async () => {
    const d = await serve('full');
    expect((await d.post('/templates/nightly/pause', {}, 'wrong')).status).toBe(403);
    const ro = await serve('readonly');
    const page = await ro.get('/templates/nightly');
    expect(page.body).not.toContain('id="pause"');
    expect(page.body).not.toContain('id="run-now"');
    expect((await ro.post('/templates/nightly/pause', {}, csrfOf(page.body))).status).toBe(403);
  });

  it('keep the CSP: no inline script or style, no event handlers', async () => {
    const d = await serve('full');
    for (const path of ['/templates', '/schedules', '/templates/greet', '/templates/nightly']) {
      const body = (await d.get(path)).body;
      expect(body, path).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/i);
      expect(body, path).not.toMatch(/\sstyle=/i);
      expect(body, path).not.toMatch(/\son[a-z]+=/i);
    }
  });
});
