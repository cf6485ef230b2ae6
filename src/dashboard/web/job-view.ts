// The MCP App view of a job (ui://deckhand/job): rendered by clients that support MCP Apps next to the result of
// remote-bash or get-job-status. It learns the job from the tool result the host forwards, then polls
// get-job-status through the app bridge (never the network: its CSP allows no connection) until the job ends.
import { App, applyDocumentTheme } from '@modelcontextprotocol/ext-apps';

interface Line {
  seq: number;
  stream: 'stdout' | 'stderr' | 'system';
  text: string;
}

interface Status {
  job: {
    id: string;
    status: string;
    type: string;
    server: string | null;
    exit_code: number | null;
    error: { message: string } | null;
  };
  logs: Line[];
  next_cursor: number;
  has_more: boolean;
  total_lines: number;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'lost']);
const MAX_LINES = 500;

const el = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The job a tool result names: remote-bash answers job_id, get-job-status answers job.id. */
function jobIdOf(structured: unknown): string | undefined {
  if (!structured || typeof structured !== 'object') return undefined;
  const s = structured as { job_id?: unknown; job?: { id?: unknown } };
  const id = typeof s.job_id === 'string' ? s.job_id : typeof s.job?.id === 'string' ? s.job.id : undefined;
  return id && /^job_[0-9A-HJKMNP-TV-Z]{26}$/.test(id) ? id : undefined;
}

function render(s: Status): void {
  const badge = el('status');
  badge.textContent = s.job.status;
  badge.className = `status status-${s.job.status}`;
  el('title').textContent = `${s.job.type}${s.job.server ? ` on ${s.job.server}` : ''}`;
  const exit = s.job.exit_code !== null ? `exit ${s.job.exit_code}` : '';
  el('detail').textContent = [exit, s.job.error?.message ?? ''].filter(Boolean).join(' — ');
  const log = el('log');
  const follow = log.scrollHeight - log.scrollTop - log.clientHeight < 30;
  for (const l of s.logs) {
    const div = document.createElement('div');
    div.className = `ln ln-${l.stream}`;
    div.textContent = l.text;
    log.appendChild(div);
  }
  while (log.childElementCount > MAX_LINES) log.firstElementChild?.remove();
  if (follow) log.scrollTop = log.scrollHeight;
  el('count').textContent = `${s.total_lines} lines`;
}

async function follow(app: App, jobId: string, stop: AbortSignal): Promise<void> {
  let cursor: number | undefined;
  let failures = 0;
  while (!stop.aborted) {
    try {
      const result = await app.callServerTool({
        name: 'get-job-status',
        arguments: {
          job_id: jobId,
          tail_logs: cursor === undefined ? 100 : 200,
          wait_s: cursor === undefined ? 0 : 5,
          ...(cursor !== undefined ? { cursor } : {}),
        },
      });
      if (result.isError) throw new Error(result.content.map((c) => (c.type === 'text' ? c.text : '')).join(' '));
      const s = result.structuredContent as unknown as Status;
      render(s);
      failures = 0;
      cursor = s.next_cursor;
      el('note').textContent = TERMINAL.has(s.job.status) ? '' : 'following…';
      if (TERMINAL.has(s.job.status) && !s.has_more) return;
    } catch (err) {
      failures++;
      el('note').textContent = `could not read the job (${(err as Error).message}); retrying`;
      await sleep(Math.min(10_000, 500 * 2 ** failures));
    }
  }
}

async function main(): Promise<void> {
  const app = new App({ name: 'deckhand job view', version: '1.0.0' }, {}, { autoResize: true });
  let started: string | undefined;
  const stop = new AbortController();
  const start = (id: string | undefined) => {
    if (!id || started) return;
    started = id;
    el('job').textContent = id;
    void follow(app, id, stop.signal);
  };
  app.ontoolinput = (p) => start(jobIdOf(p.arguments));
  app.ontoolresult = (p) => start(jobIdOf(p.structuredContent));
  app.onhostcontextchanged = (ctx) => {
    if (ctx.theme) applyDocumentTheme(ctx.theme);
  };
  app.onteardown = async () => {
    stop.abort();
    return {};
  };
  await app.connect();
  const theme = app.getHostContext()?.theme;
  if (theme) applyDocumentTheme(theme);
}

void main();
