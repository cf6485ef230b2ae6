import { redirect } from './respond.js';
import { page, type Route, type RouteContext } from './route.js';
import { confirmAgainPage } from './views/approvals.js';
import { messagePage } from './views/login.js';
import { notYetPage } from './views/seams.js';
import { templatePage, templatesPage } from './views/templates.js';

/** A template's name in a route's path (a slug). */
const NAME = '([a-z0-9][a-z0-9-]{0,62})';

/** The templates and schedules pages, and a template's actions: run now, pause and resume its schedule. */
export const TEMPLATE_ROUTES: readonly Route[] = [
  { method: 'GET', path: /^\/templates$/, run: (c) => list(c, '/templates') },
  { method: 'GET', path: /^\/schedules$/, run: (c) => list(c, '/schedules') },
  { method: 'GET', path: new RegExp(`^/templates/${NAME}$`), run: detail },
  { method: 'POST', path: new RegExp(`^/templates/${NAME}/run$`), action: true, run: runNow },
  { method: 'POST', path: new RegExp(`^/templates/${NAME}/pause$`), action: true, run: (c) => setPaused(c, true) },
  { method: 'POST', path: new RegExp(`^/templates/${NAME}/resume$`), action: true, run: (c) => setPaused(c, false) },
];

const DONE: Readonly<Record<string, string>> = {
  paused: 'Schedule paused: no slot starts until it is resumed. The audit log names you.',
  resumed:
    'Schedule resumed: slots that passed while it was paused follow its catch-up policy. The audit log names you.',
};

const missing = (ctx: RouteContext) =>
  page(
    ctx,
    notYetPage(ctx.chrome, 'Templates', '/templates', 'Templates (saved commands run on demand or on a schedule)'),
  );

async function list(ctx: RouteContext, active: '/templates' | '/schedules'): Promise<void> {
  const src = ctx.sources.templates;
  if (!src) {
    const title = active === '/templates' ? 'Templates' : 'Schedules';
    return page(ctx, notYetPage(ctx.chrome, title, active, `${title} (saved commands run on demand or on a schedule)`));
  }
  page(ctx, templatesPage(ctx.chrome, await src.list(), active));
}

function unknown(ctx: RouteContext, name: string) {
  return page(
    ctx,
    messagePage(ctx.chrome, 'No such template', '/templates', [
      `There is no template named "${name}".`,
      'The templates page lists the templates there are.',
    ]),
    404,
  );
}

async function detail(ctx: RouteContext): Promise<void> {
  const src = ctx.sources.templates;
  if (!src) return missing(ctx);
  const name = ctx.params[0] as string;
  const t = await src.get(name);
  if (!t) return unknown(ctx, name);
  const done = DONE[ctx.url.searchParams.get('done') ?? ''];
  page(
    ctx,
    templatePage(ctx.chrome, {
      template: t,
      notices: done ? [done] : [],
      actions: { run: !!src.runNow, pause: !!src.setPaused },
    }),
  );
}

/** The form's parameters: fields named "param.NAME" (empty ones left out, so defaults apply). */
function paramsOf(form: URLSearchParams | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [k, v] of form ?? []) if (k.startsWith('param.') && v !== '') params[k.slice('param.'.length)] = v;
  return params;
}

async function runNow(ctx: RouteContext): Promise<void> {
  const src = ctx.sources.templates;
  const name = ctx.params[0] as string;
  if (!src?.runNow)
    return page(
      ctx,
      messagePage(ctx.chrome, 'Run now is not available', '/templates', ['Run now is not available in this version.']),
      404,
    );
  if (!(await src.get(name))) return unknown(ctx, name);
  const params = paramsOf(ctx.form);
  const out = await src.runNow(name, params, ctx.actor, ctx.form?.get('confirm') === 'yes');
  if (out.kind === 'started')
    return redirect(ctx.res, out.job.type === 'batch' ? `/batches/${out.job.id}` : `/jobs/${out.job.id}?done=again`);
  if (out.code === 'approval_pending' && out.approval)
    return page(
      ctx,
      confirmAgainPage(ctx.chrome, {
        action: `Run ${name} now`,
        path: ctx.url.pathname,
        approval: out.approval,
        fields: Object.entries(params).map(([k, v]) => [`param.${k}`, v] as const),
        back: { href: `/templates/${name}`, label: 'Back to the template' },
      }),
    );
  page(
    ctx,
    messagePage(ctx.chrome, `Run ${name} now: refused`, '/templates', [
      `Refused (${out.code}): ${out.message}`,
      out.hint,
    ]),
    403,
  );
}

async function setPaused(ctx: RouteContext, paused: boolean): Promise<void> {
  const src = ctx.sources.templates;
  const name = ctx.params[0] as string;
  if (!src?.setPaused)
    return page(
      ctx,
      messagePage(ctx.chrome, 'Pause and resume are not available', '/templates', [
        'Pausing schedules is not available in this version.',
      ]),
      404,
    );
  if (!(await src.get(name))) return unknown(ctx, name);
  await src.setPaused(name, paused, ctx.actor);
  redirect(ctx.res, `/templates/${name}?done=${paused ? 'paused' : 'resumed'}`);
}
