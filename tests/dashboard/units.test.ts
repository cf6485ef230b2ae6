import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseJobQuery, queryString, searchJobs } from '../../src/dashboard/job-search.js';
import { MASK, maskParams } from '../../src/dashboard/mask.js';
import { fromSameOrigin } from '../../src/dashboard/respond.js';
import { csrfMatches, DashboardSessions, readCookie } from '../../src/dashboard/sessions.js';
import { countByStatus, COUNT_CAP } from '../../src/dashboard/stats.js';
import { dashboardToken } from '../../src/dashboard/token.js';
import { html, raw } from '../../src/dashboard/views/html.js';
import { createJob, type Job, type JobStatus } from '../../src/jobs/types.js';
import type { JobFilter, JobPage } from '../../src/jobs/store/contract.js';
import { tempHome } from '../helpers/home.js';

const TOKEN = 'unit-test-token-0123456789';

/** Jobs made the way the store makes them, newest first by id, and a list() with the job service's contract. */
function jobs(n: number, make: (i: number) => Partial<Job> = () => ({})): Job[] {
  const base = Date.parse('2026-01-01T00:00:00Z');
  return Array.from({ length: n }, (_, i) => ({
    ...createJob(
      { type: 'remote-bash', server: 'box', params: { command: `cmd-${i}` }, timeout_s: 60 },
      new Date(base + i * 1000),
    ),
    ...make(i),
  }));
}
function lister(all: Job[]) {
  const sorted = [...all].sort((a, b) => (a.id < b.id ? 1 : -1));
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    async list(filter: JobFilter, limit: number, cursor?: string): Promise<JobPage> {
      calls++;
      const kept = sorted.filter(
        (j) =>
          (!filter.status || j.status === filter.status) &&
          (!filter.server || j.server === filter.server) &&
          (!filter.type || j.type === filter.type) &&
          (!cursor || j.id < cursor),
      );
      const page = kept.slice(0, limit);
      return { jobs: page, next_cursor: kept.length > limit ? (page.at(-1)?.id ?? null) : null };
    },
  };
}

describe('html', () => {
  it('escapes every interpolated value unless it is markup made by the tag', () => {
    const cmd = `<script>alert("x")</script> & 'quotes'`;
    expect(html`<p title="${cmd}">${cmd}</p>`.text).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;</p>',
    );
    const items = ['a<', 'b'].map((x) => html`<li>${x}</li>`);
    const list = html`<ul>
      ${items}
    </ul>`;
    // (prettier formats html`` templates as HTML: whitespace between tags is its, not the tag's.)
    expect(list.text.replace(/>\s+</g, '><')).toBe('<ul><li>a&lt;</li><li>b</li></ul>');
    expect(html`${null}${undefined}${false}${0}${raw('<br>')}`.text).toBe('0<br>');
  });
});

describe('maskParams', () => {
  it('masks secret-looking values at any depth and keeps the rest', () => {
    const masked = maskParams({
      command: 'deploy',
      env_keys: ['API_TOKEN'],
      password: 'hunter2',
      nested: { db: { PASSWORD: 'x', host: 'db' }, list: [{ api_key: 'k' }] },
      token: '',
    });
    expect(masked).toEqual({
      command: 'deploy',
      env_keys: ['API_TOKEN'],
      password: MASK,
      nested: { db: { PASSWORD: MASK, host: 'db' }, list: [{ api_key: MASK }] },
      token: '',
    });
  });
});

describe('the jobs list query', () => {
  it('reads the filters from the URL and names what it drops', () => {
    const { query, problems } = parseJobQuery(
      new URLSearchParams({ state: 'failed', server: 'box', text: ' oom ', cursor: 'nope', type: 'x'.repeat(300) }),
    );
    expect(query).toEqual({
      state: 'failed',
      server: 'box',
      type: undefined,
      template: undefined,
      text: 'oom',
      cursor: undefined,
    });
    expect(problems).toEqual([
      'cursor is not a job id; showing the newest jobs.',
      'type is longer than 200 characters and was ignored.',
    ]);
    expect(parseJobQuery(new URLSearchParams({ state: 'exploded' })).problems[0]).toContain(
      'state "exploded" is not one of',
    );
    expect(queryString(query)).toBe('?state=failed&server=box&text=oom');
    expect(queryString(query, { cursor: 'job_01ARZ3NDEKTSV4RRFFQ69G5FAV', state: undefined })).toBe(
      '?server=box&text=oom&cursor=job_01ARZ3NDEKTSV4RRFFQ69G5FAV',
    );
    expect(queryString({})).toBe('');
  });

  it('pages newest first through the job service, and matches text over its pages up to a scan budget', async () => {
    const all = jobs(120, (i) =>
      i % 10 === 0 ? { params: { command: `needle-${i}`, password: 'needle-secret' } } : {},
    );
    const svc = lister(all);
    const first = await searchJobs(svc, {}, { limit: 50 });
    expect(first.jobs.map((j) => j.id)).toEqual(
      [...all]
        .reverse()
        .slice(0, 50)
        .map((j) => j.id),
    );
    const second = await searchJobs(svc, { cursor: first.next_cursor ?? undefined }, { limit: 50 });
    expect((second.jobs[0]?.id ?? '') < (first.jobs.at(-1)?.id ?? '')).toBe(true);

    const found = await searchJobs(svc, { text: 'NEEDLE' }, { limit: 5 });
    expect(found.jobs.map((j) => j.params.command)).toEqual([
      'needle-110',
      'needle-100',
      'needle-90',
      'needle-80',
      'needle-70',
    ]);
    expect(found.partial).toBe(false);
    const rest = await searchJobs(svc, { text: 'needle', cursor: found.next_cursor ?? undefined }, { limit: 5 });
    expect(rest.jobs.map((j) => j.params.command)).toEqual([
      'needle-60',
      'needle-50',
      'needle-40',
      'needle-30',
      'needle-20',
    ]);
    // A secret is masked before matching: its value finds nothing.
    expect((await searchJobs(svc, { text: 'needle-secret' }, { limit: 5 })).jobs).toEqual([]);
    // The budget stops a scan that finds little, with a cursor that goes on from where it stopped.
    const partial = await searchJobs(svc, { text: 'needle-5' }, { limit: 5, scanBudget: 40 });
    expect(partial).toMatchObject({ partial: true, scanned: 40, jobs: [] });
    const more = await searchJobs(
      svc,
      { text: 'needle-5', cursor: partial.next_cursor ?? undefined },
      { limit: 5, scanBudget: 200 },
    );
    expect(more.jobs.map((j) => j.params.command)).toEqual(['needle-50']);
    const byTemplate = await searchJobs(
      svc,
      { template: 'nightly' },
      {
        limit: 50,
        templateOf: (j) => ((j.params.command as string).endsWith('7') ? 'nightly' : undefined),
      },
    );
    expect(byTemplate.jobs).toHaveLength(12);
  });

  it('counts jobs by state up to a cap', async () => {
    const statuses: JobStatus[] = ['completed', 'failed', 'running'];
    const svc = lister(
      jobs(COUNT_CAP + 300, (i) => ({ status: i < COUNT_CAP + 100 ? 'completed' : (statuses[i % 3] as JobStatus) })),
    );
    const { counts, capped } = await countByStatus(svc);
    expect(counts.completed).toBe(COUNT_CAP);
    expect(capped).toEqual({ completed: true });
    const tail = Array.from({ length: 200 }, (_, k) => statuses[(COUNT_CAP + 100 + k) % 3]);
    expect(counts.failed).toBe(tail.filter((t) => t === 'failed').length);
    expect(counts.running).toBe(tail.filter((t) => t === 'running').length);
    expect(counts.queued).toBe(0);
  });
});

describe('sessions', () => {
  it('log in only with the token, expire, and throttle guessing', () => {
    let now = 1_000_000;
    const s = new DashboardSessions({ token: TOKEN, ttlMs: 60_000, maxFailuresPerMinute: 3, now: () => now });
    expect(s.login('wrong')).toBe('wrong');
    const session = s.login(TOKEN);
    if (typeof session === 'string') throw new Error('expected a session');
    const cookie = s.cookieFor(session, false);
    expect(cookie).toMatch(/^deckhand_dashboard=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=60$/);
    expect(cookie).not.toContain(TOKEN);
    expect(s.cookieFor(session, true)).toContain('; Secure');
    const header = `other=1; ${cookie.split(';')[0]}`;
    expect(s.fromCookie(header)?.id).toBe(session.id);
    expect(csrfMatches(session, session.csrf)).toBe(true);
    expect(csrfMatches(session, 'forged')).toBe(false);
    expect(csrfMatches(session, null)).toBe(false);
    now += 60_001;
    expect(s.fromCookie(header)).toBeUndefined();
    expect(s.login('a')).toBe('wrong');
    expect(s.login('b')).toBe('wrong');
    expect(s.login('c')).toBe('wrong');
    expect(s.login(TOKEN)).toBe('throttled');
    now += 61_000;
    expect(typeof s.login(TOKEN)).toBe('object');
    const again = s.login(TOKEN) as { id: string };
    s.logout(again.id);
    expect(s.fromCookie(`deckhand_dashboard=${again.id}`)).toBeUndefined();
    expect(readCookie('a=1; b = 2', 'b')).toBe('2');
    expect(readCookie(undefined, 'b')).toBeUndefined();
  });

  it('accept a form only from a page of the same origin', () => {
    const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
    expect(fromSameOrigin(req({ host: '127.0.0.1:8765', origin: 'http://127.0.0.1:8765' }))).toBe(true);
    expect(fromSameOrigin(req({ host: '127.0.0.1:8765', referer: 'http://127.0.0.1:8765/jobs/x' }))).toBe(true);
    expect(fromSameOrigin(req({ host: '127.0.0.1:8765', origin: 'http://127.0.0.1:9999' }))).toBe(false);
    expect(fromSameOrigin(req({ host: '127.0.0.1:8765', origin: 'null' }))).toBe(false);
    expect(fromSameOrigin(req({ host: '127.0.0.1:8765' }))).toBe(false);
    expect(fromSameOrigin(req({ host: '127.0.0.1:8765', origin: 'not a url' }))).toBe(false);
  });
});

describe('the dashboard token', () => {
  const homes: { cleanup(): void }[] = [];
  afterEach(() => homes.splice(0).forEach((h) => h.cleanup()));

  it('is DECKHAND_HTTP_TOKEN when set, else a 0600 file in the home made once and shared', () => {
    const home = tempHome();
    homes.push(home);
    expect(dashboardToken(TOKEN, home.dir)).toEqual({ token: TOKEN, source: { kind: 'env' } });
    expect(fs.existsSync(path.join(home.dir, 'dashboard-token'))).toBe(false);
    const made = dashboardToken(undefined, home.dir);
    const file = path.join(home.dir, 'dashboard-token');
    expect(made.source).toEqual({ kind: 'file', file, created: true });
    expect(made.token).toMatch(/^[\w-]{32}$/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(dashboardToken(undefined, home.dir)).toEqual({
      token: made.token,
      source: { kind: 'file', file, created: false },
    });
    fs.chmodSync(file, 0o644);
    expect(() => dashboardToken(undefined, home.dir)).toThrow(/can be read by other users \(mode 644\): run chmod 600/);
  });
});
