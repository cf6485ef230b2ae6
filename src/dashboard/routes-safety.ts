import { redirect } from './respond.js';
import { page, type Route, type RouteContext } from './route.js';
import { approvalsPage, confirmAgainPage } from './views/approvals.js';
import { auditPage } from './views/audit.js';
import { messagePage } from './views/login.js';
import { notYetPage } from './views/seams.js';

const APPROVAL = '(apr_[0-9A-HJKMNP-TV-Z]{26})';
const AUDIT_PAGE = 100;

/** Approvals (decided by the person logged in) and the audit log. Run again and retry are routed with the jobs. */
export const SAFETY_ROUTES: readonly Route[] = [
  { method: 'GET', path: /^\/approvals$/, run: approvals },
  { method: 'POST', path: new RegExp(`^/approvals/${APPROVAL}/approve$`), action: true, run: approve },
  { method: 'POST', path: new RegExp(`^/approvals/${APPROVAL}/deny$`), action: true, run: deny },
  { method: 'GET', path: /^\/audit$/, run: audit },
];

const DONE: Readonly<Record<string, string>> = {
  approved: 'Approved: the assistant may now make the same call again; it runs once.',
  denied: 'Denied: the same call stays refused until the request expires.',
};

async function approvals(ctx: RouteContext): Promise<void> {
  const src = ctx.sources.approvals;
  if (!src) return page(ctx, notYetPage(ctx.chrome, 'Approvals', '/approvals', 'Approvals'));
  const [pending, recent] = await Promise.all([src.pending(), src.recent?.() ?? []]);
  const done = DONE[ctx.url.searchParams.get('done') ?? ''];
  page(ctx, approvalsPage(ctx.chrome, { pending, recent, notices: done ? [done] : [] }));
}

async function approve(ctx: RouteContext): Promise<void> {
  const src = ctx.sources.approvals;
  if (!src) return page(ctx, notYetPage(ctx.chrome, 'Approvals', '/approvals', 'Approvals'));
  const raw = ctx.form?.get('minutes') ?? '0';
  const minutes = /^\d{1,4}$/.test(raw) ? Number(raw) : 0;
  await src.approve(ctx.params[0] as string, { by: ctx.actor.person, minutes: minutes || undefined });
  redirect(ctx.res, '/approvals?done=approved');
}

async function deny(ctx: RouteContext): Promise<void> {
  const src = ctx.sources.approvals;
  if (!src) return page(ctx, notYetPage(ctx.chrome, 'Approvals', '/approvals', 'Approvals'));
  await src.deny(ctx.params[0] as string, ctx.actor.person);
  redirect(ctx.res, '/approvals?done=denied');
}

async function audit(ctx: RouteContext): Promise<void> {
  const src = ctx.sources.audit;
  if (!src) return page(ctx, notYetPage(ctx.chrome, 'Audit log', '/audit', 'The audit log'));
  const raw = ctx.url.searchParams.get('before');
  const before = raw !== null && /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
  const [{ entries, older }, verified] = await Promise.all([
    src.recent({ before, limit: AUDIT_PAGE }),
    src.verify({ fresh: ctx.url.searchParams.get('verify') === 'now' }),
  ]);
  page(ctx, auditPage(ctx.chrome, { entries, older, verified }));
}

/**
 * Run again / retry: through the safety gate as the person logged in. Where policy asks, the page shows what is
 * asked and a form that confirms it (the person here is the one policy asks); a refusal says why.
 */
export async function rerun(ctx: RouteContext, which: 'runAgain' | 'retry'): Promise<void> {
  const act = ctx.sources.actions[which];
  const what = which === 'runAgain' ? 'Run again' : 'Retry';
  const id = ctx.params[0] as string;
  if (!act)
    return page(
      ctx,
      messagePage(ctx.chrome, `${what} is not available`, '/jobs', [`${what} is not available in this version.`]),
      404,
    );
  const out = await act(id, ctx.actor, ctx.form?.get('confirm') === 'yes');
  if (out.kind === 'started')
    return redirect(ctx.res, out.job.type === 'batch' ? `/batches/${out.job.id}` : `/jobs/${out.job.id}?done=again`);
  if (out.code === 'approval_pending' && out.approval)
    return page(
      ctx,
      confirmAgainPage(ctx.chrome, { action: what, jobId: id, path: ctx.url.pathname, approval: out.approval }),
    );
  page(
    ctx,
    messagePage(ctx.chrome, `${what}: refused`, '/jobs', [`Refused (${out.code}): ${out.message}`, out.hint]),
    403,
  );
}
