import { isTerminal } from '../jobs/index.js';
import { removalText } from '../jobs/index.js';
import { errorHint } from './hints.js';
import { parseJobQuery, searchJobs } from './job-search.js';
import { followJobLog } from './log-events.js';
import { redirect } from './respond.js';
import { JOB, page, whileOpen, type Route, type RouteContext } from './route.js';
import { BATCH_ROUTES } from './routes-batches.js';
import { SAFETY_ROUTES, rerun } from './routes-safety.js';
import { TEMPLATE_ROUTES } from './routes-templates.js';
import { cancelConfirmPage, jobPage, type LogView } from './views/job.js';
import { jobsPage } from './views/jobs.js';
import { overviewPage } from './views/overview.js';
import { poolPage } from './views/pool.js';
import { notYetPage } from './views/seams.js';
import { serversPage, type ServerRow } from './views/servers.js';

const JOBS_PAGE = 50;
const LOG_PAGE = 200;

/** The pages and actions, each over the sources only. */
export const ROUTES: readonly Route[] = [
  { method: 'GET', path: /^\/$/, run: overview },
  { method: 'GET', path: /^\/jobs$/, run: jobsList },
  { method: 'GET', path: new RegExp(`^/jobs/${JOB}$`), run: jobDetail },
  { method: 'GET', path: new RegExp(`^/jobs/${JOB}/events$`), run: jobEvents },
  { method: 'GET', path: new RegExp(`^/jobs/${JOB}/cancel$`), action: true, run: cancelConfirm },
  { method: 'POST', path: new RegExp(`^/jobs/${JOB}/cancel$`), action: true, run: cancel },
  { method: 'POST', path: new RegExp(`^/jobs/${JOB}/run-again$`), action: true, run: (c) => rerun(c, 'runAgain') },
  { method: 'POST', path: new RegExp(`^/jobs/${JOB}/retry$`), action: true, run: (c) => rerun(c, 'retry') },
  { method: 'GET', path: /^\/servers$/, run: servers },
  { method: 'GET', path: /^\/pool$/, run: pool },
  ...BATCH_ROUTES,
  ...SAFETY_ROUTES,
  ...TEMPLATE_ROUTES,
];

async function overview(ctx: RouteContext): Promise<void> {
  const s = ctx.sources;
  const [stats, failures, executorAlive, instances, schedules, approvals] = await Promise.all([
    s.stats.countByStatus(),
    s.jobs.list({ status: 'failed' }, 10),
    s.jobs.executorAlive(),
    s.pool?.instances(),
    s.templates?.list(),
    s.approvals?.pending(),
  ]);
  page(
    ctx,
    overviewPage(ctx.chrome, {
      ...stats,
      instances,
      limits: s.limits,
      executorAlive,
      failures: failures.jobs,
      schedules,
      approvals,
    }),
  );
}

async function jobsList(ctx: RouteContext): Promise<void> {
  const { query, problems } = parseJobQuery(ctx.url.searchParams);
  const s = ctx.sources;
  const [servers, templates] = await Promise.all([s.servers.list(), s.templates?.list()]);
  // A template filter by name goes to the store as the template's id (an unknown name matches nothing).
  const templateId =
    query.template && s.templates?.templateId ? ((await s.templates.templateId(query.template)) ?? 'none') : undefined;
  const result = await searchJobs(s.jobs, query, {
    limit: JOBS_PAGE,
    templateOf: s.templates?.templateOf,
    templateId,
  });
  page(
    ctx,
    jobsPage(ctx.chrome, {
      query,
      result,
      problems,
      servers: servers.map((x) => x.name),
      templates: templates?.map((t) => t.id),
    }),
  );
}

/** The log view a job page's query asks for; a grep that is not a regular expression is dropped with a notice. */
function logView(url: URL, notices: string[]): LogView {
  const p = url.searchParams;
  const stream = p.get('stream');
  const fromRaw = p.get('from');
  const from = fromRaw !== null && /^\d{1,15}$/.test(fromRaw) ? Number(fromRaw) : undefined;
  // Cut to get-job-status's limit before it is checked: a cut expression may no longer be one.
  let grep = p.get('grep')?.slice(0, 1000) || undefined;
  if (grep !== undefined) {
    try {
      new RegExp(grep);
    } catch (err) {
      notices.push(`Grep "${grep}" is not a regular expression (${(err as Error).message}); showing every line.`);
      grep = undefined;
    }
  }
  return { from, stream: stream === 'stdout' || stream === 'stderr' ? stream : 'all', grep };
}

const DONE: Readonly<Record<string, string>> = {
  cancel: 'Cancel requested: the deckhand executing the job stops the command (TERM, then KILL) and records it.',
  again: 'Started from the dashboard: policy admitted it and the audit log names you.',
};

/** Run again and retry repeat remote-bash commands and batches (other types are the assistant's to repeat). */
function repeatable(j: { type: string; params: Readonly<Record<string, unknown>> }): boolean {
  return j.type === 'remote-bash' || (j.type === 'batch' && j.params['kind'] === 'remote-bash');
}

async function jobDetail(ctx: RouteContext): Promise<void> {
  const id = ctx.params[0] as string;
  const notices: string[] = [];
  const done = DONE[ctx.url.searchParams.get('done') ?? ''];
  if (done) notices.push(done);
  const view = logView(ctx.url, notices);
  const s = ctx.sources;
  const { job, log } = await s.jobs.status({
    job_id: id,
    tail_logs: LOG_PAGE,
    cursor: view.from,
    wait_s: 0,
    stream: view.stream,
    grep: view.grep,
  });
  if (done && !isTerminal(job.status) && !(await s.jobs.executorAlive()))
    notices.push('No deckhand executes jobs on this home right now: the job stops when one starts.');
  const live = !isTerminal(job.status) && view.from === undefined;
  const follow = new URLSearchParams({ cursor: String(log.next_cursor) });
  if (view.stream !== 'all') follow.set('stream', view.stream);
  if (view.grep) follow.set('grep', view.grep);
  const can = !ctx.chrome.readonly;
  page(
    ctx,
    jobPage(ctx.chrome, {
      job,
      lines: log.lines,
      next_cursor: log.next_cursor,
      has_more: log.has_more,
      total_lines: log.total_lines,
      removed: log.removed ? removalText(log.removed) : undefined,
      view,
      eventsUrl: live ? `/jobs/${id}/events?${follow.toString()}` : undefined,
      actions: {
        cancel: can,
        runAgain: can && !!s.actions.runAgain && repeatable(job),
        retry: can && !!s.actions.retry && repeatable(job),
      },
      hint: errorHint(job.error),
      notices,
    }),
  );
}

async function jobEvents(ctx: RouteContext): Promise<void> {
  const id = ctx.params[0] as string;
  const notices: string[] = [];
  const view = logView(ctx.url, notices);
  // A reconnecting EventSource says where it got to; a first connection starts where the page's lines end.
  const resume = ctx.req.headers['last-event-id'] ?? ctx.url.searchParams.get('cursor') ?? '';
  const cursor = /^\d{1,15}$/.test(String(resume)) ? Number(resume) : 0;
  await ctx.sources.jobs.get(id);
  await whileOpen(ctx, (signal) =>
    followJobLog(ctx.sources.jobs, ctx.res, { jobId: id, cursor, stream: view.stream, grep: view.grep, signal }),
  );
}

async function cancelConfirm(ctx: RouteContext): Promise<void> {
  const job = await ctx.sources.jobs.get(ctx.params[0] as string);
  if (isTerminal(job.status)) return redirect(ctx.res, `/jobs/${job.id}`);
  page(ctx, cancelConfirmPage(ctx.chrome, job));
}

async function cancel(ctx: RouteContext): Promise<void> {
  const job = await ctx.sources.actions.cancel(ctx.params[0] as string, ctx.actor);
  redirect(ctx.res, `/jobs/${job.id}?done=cancel`);
}

async function servers(ctx: RouteContext): Promise<void> {
  const s = ctx.sources;
  const [list, running, queued] = await Promise.all([
    s.servers.list(),
    s.jobs.list({ status: 'running' }, 500),
    s.jobs.list({ status: 'queued' }, 500),
  ]);
  const rows: ServerRow[] = await Promise.all(
    list.map(async (r) => ({
      name: r.name,
      address: `${r.host}:${r.port}`,
      user: r.user,
      labels: r.labels,
      fingerprint: r.host_key_fingerprint,
      keyType: r.host_key_type,
      provider: r.provider?.name,
      running: running.jobs.filter((j) => j.server === r.name),
      queued: queued.jobs.filter((j) => j.server === r.name).length,
      reachability: await s.reachability?.(r.name),
    })),
  );
  page(ctx, serversPage(ctx.chrome, rows, s.reachability !== undefined));
}

async function pool(ctx: RouteContext): Promise<void> {
  const src = ctx.sources.pool;
  if (!src)
    return page(ctx, notYetPage(ctx.chrome, 'Pool', '/pool', 'The pool view (instances sharing the job system)'));
  page(ctx, poolPage(ctx.chrome, await src.status()));
}
