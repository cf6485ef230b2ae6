import { errorMessage } from '../errors.js';
import { isJobId, isTerminal } from '../jobs/index.js';
import { SECURITY_HEADERS, sendText } from './respond.js';
import { JOB, page, whileOpen, type Route, type RouteContext } from './route.js';
import type { BatchDetail } from './sources.js';
import { batchesPage, batchPage, countsText } from './views/batches.js';
import { duration } from './views/format.js';
import { messagePage } from './views/login.js';
import { notYetPage } from './views/seams.js';

const BATCHES_PAGE = 50;

/** Batches: the list, one batch's servers and grouped outputs, and its live state as Server-Sent Events. */
export const BATCH_ROUTES: readonly Route[] = [
  { method: 'GET', path: /^\/batches$/, run: batches },
  { method: 'GET', path: new RegExp(`^/batches/${JOB}$`), run: batch },
  { method: 'GET', path: new RegExp(`^/batches/${JOB}/events$`), run: batchEvents },
];

const missing = (ctx: RouteContext) =>
  page(ctx, notYetPage(ctx.chrome, 'Batches', '/batches', 'Batches (one command on many servers)'));

async function batches(ctx: RouteContext): Promise<void> {
  const src = ctx.sources.batches;
  if (!src) return missing(ctx);
  const cursor = ctx.url.searchParams.get('cursor') ?? undefined;
  const list = await src.list(BATCHES_PAGE, cursor && isJobId(cursor) ? cursor : undefined);
  page(ctx, batchesPage(ctx.chrome, list.batches, list.next_cursor));
}

function cursorOf(url: URL): number {
  const raw = url.searchParams.get('cursor');
  return raw !== null && /^\d{1,7}$/.test(raw) ? Number(raw) : 0;
}

async function batch(ctx: RouteContext): Promise<void> {
  const src = ctx.sources.batches;
  if (!src) return missing(ctx);
  const id = ctx.params[0] as string;
  const b = await src.get(id, { cursor: cursorOf(ctx.url) });
  if (!b)
    return page(
      ctx,
      messagePage(ctx.chrome, 'Not a batch', '/batches', [`${id} is a single job, not a batch: /jobs/${id} shows it.`]),
      404,
    );
  const can = !ctx.chrome.readonly;
  page(
    ctx,
    batchPage(ctx.chrome, b, {
      cancel: can,
      runAgain: can && !!ctx.sources.actions.runAgain,
      retry: can && !!ctx.sources.actions.retry,
    }),
  );
}

/** What the live batch page redraws: the progress line and this page's rows, as the page words them. */
function batchState(b: BatchDetail) {
  return {
    status: b.status,
    progress: countsText(b.counts, b.total),
    children: b.children.map((c) => ({
      job_id: c.job_id,
      status: c.status,
      exit: c.exit_code === null ? '—' : String(c.exit_code),
      ran: duration(c.duration_ms),
      error: c.error ? `${c.error.code} ${c.error.message}` : '',
    })),
  };
}

/**
 * The batch's state as Server-Sent Events: `batch` whenever a child changed state (any instance's: the remote-bash
 * view compares counts), `end` once the batch ended (the page then reloads for the grouped outputs).
 */
async function batchEvents(ctx: RouteContext): Promise<void> {
  const src = ctx.sources.batches;
  if (!src) return missing(ctx);
  const id = ctx.params[0] as string;
  const cursor = cursorOf(ctx.url);
  if (!(await src.get(id, { cursor }))) return sendText(ctx.res, 404, `${id} is not a batch.`);
  ctx.res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const send = (event: string, data: unknown) => ctx.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  ctx.res.write('retry: 2000\n\n');
  await whileOpen(ctx, async (signal) => {
    let last = '';
    try {
      while (!signal.aborted) {
        const b = await src.get(id, { cursor, wait_s: last ? 10 : 0, signal });
        if (!b || signal.aborted) break;
        const state = JSON.stringify(batchState(b));
        if (state !== last) send('batch', batchState(b));
        else ctx.res.write(': waiting\n\n');
        last = state;
        if (isTerminal(b.status)) {
          send('end', { status: b.status });
          break;
        }
      }
    } catch (err) {
      if (!signal.aborted) send('failure', { message: errorMessage(err) });
    } finally {
      ctx.res.end();
    }
  });
}
