// The dashboard's only script (bundled to /assets/dashboard.js; the CSP allows no other). Pages work without it;
// it adds the live log tail on a job's page (Server-Sent Events from /jobs/ID/events, appended as they come) and
// the live per-server table on a batch's page (/batches/ID/events).

interface Line {
  seq: number;
  stream: 'stdout' | 'stderr' | 'system';
  text: string;
}

interface JobState {
  status: string;
  exit_code: number | null;
  finished_at: string | null;
}

/** Lines kept on the page while following: older ones leave the DOM (the log itself keeps them). */
const MAX_LINES = 5000;
const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'lost']);

function text(id: string, value: string): void {
  const el = document.getElementById(id);
  if (el) el.textContent = value;
}

function atBottom(el: HTMLElement): boolean {
  return el.scrollHeight - el.scrollTop - el.clientHeight < 40;
}

function appendLines(log: HTMLElement, lines: readonly Line[]): void {
  const follow = atBottom(log);
  const frag = document.createDocumentFragment();
  for (const l of lines) {
    const div = document.createElement('div');
    div.className = `ln ln-${l.stream}`;
    div.dataset.seq = String(l.seq);
    div.textContent = l.text;
    frag.appendChild(div);
  }
  log.appendChild(frag);
  while (log.childElementCount > MAX_LINES) log.firstElementChild?.remove();
  if (follow) log.scrollTop = log.scrollHeight;
}

function showState(s: JobState): void {
  const badge = document.getElementById('job-status');
  if (badge) {
    badge.textContent = s.status;
    badge.className = `status status-${s.status}`;
  }
  text('job-exit', s.exit_code === null ? '—' : String(s.exit_code));
  if (s.finished_at) text('job-finished', `${s.finished_at.slice(0, 19).replace('T', ' ')} UTC`);
  if (TERMINAL.has(s.status)) {
    for (const el of document.querySelectorAll<HTMLElement>('[data-when-active]')) el.hidden = true;
  }
}

function follow(log: HTMLElement, url: string): void {
  const source = new EventSource(url);
  log.scrollTop = log.scrollHeight;
  source.addEventListener('lines', (e) => {
    const data = JSON.parse((e as MessageEvent<string>).data) as { lines: Line[] };
    if (data.lines.length) appendLines(log, data.lines);
    text('live', 'Following the log live…');
  });
  source.addEventListener('job', (e) => showState(JSON.parse((e as MessageEvent<string>).data) as JobState));
  source.addEventListener('end', (e) => {
    const { status } = JSON.parse((e as MessageEvent<string>).data) as { status: string };
    source.close();
    text('live', `The job has ended (${status}). Reload the page for its error and final details.`);
  });
  source.addEventListener('failure', (e) => {
    const { message } = JSON.parse((e as MessageEvent<string>).data) as { message: string };
    source.close();
    text('live', `The log could not be followed: ${message}`);
  });
  source.onerror = () => {
    if (source.readyState !== EventSource.CLOSED) text('live', 'Connection lost; reconnecting…');
  };
  const jump = document.getElementById('jump-end');
  jump?.addEventListener('click', (e) => {
    e.preventDefault();
    log.scrollTop = log.scrollHeight;
    log.focus();
  });
}

interface BatchState {
  status: string;
  progress: string;
  children: { job_id: string; status: string; exit: string; ran: string; error: string }[];
}

function cell(row: Element, cls: string, value: string): void {
  const el = row.querySelector(`.${cls}`);
  if (el) el.textContent = value;
}

function showBatch(table: HTMLElement, s: BatchState): void {
  const badge = document.getElementById('batch-status');
  if (badge) {
    badge.textContent = s.status;
    badge.className = `status status-${s.status}`;
  }
  text('batch-counts', s.progress);
  for (const c of s.children) {
    const row = table.querySelector(`tr[data-job="${c.job_id}"]`);
    if (!row) continue;
    const status = row.querySelector('.child-status .status');
    if (status) {
      status.textContent = c.status;
      status.className = `status status-${c.status}`;
    }
    cell(row, 'child-exit', c.exit);
    cell(row, 'child-ran', c.ran);
    cell(row, 'child-error', c.error);
  }
}

function followBatch(table: HTMLElement, url: string): void {
  const source = new EventSource(url);
  source.addEventListener('batch', (e) => showBatch(table, JSON.parse((e as MessageEvent<string>).data) as BatchState));
  source.addEventListener('end', (e) => {
    const { status } = JSON.parse((e as MessageEvent<string>).data) as { status: string };
    source.close();
    text('live', `The batch has ended (${status}); loading its grouped outputs…`);
    // The ended page has the grouped outputs and no stream: one reload, no loop.
    window.location.reload();
  });
  source.addEventListener('failure', (e) => {
    const { message } = JSON.parse((e as MessageEvent<string>).data) as { message: string };
    source.close();
    text('live', `The batch could not be followed: ${message}`);
  });
  source.onerror = () => {
    if (source.readyState !== EventSource.CLOSED) text('live', 'Connection lost; reconnecting…');
  };
}

function main(): void {
  const log = document.getElementById('log');
  const url = log?.dataset.events;
  if (log && url) follow(log, url);
  const table = document.getElementById('batch-children');
  const batchUrl = table?.dataset.events;
  if (table && batchUrl) followBatch(table, batchUrl);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
else main();
