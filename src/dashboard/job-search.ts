import { JOB_STATUSES, isJobId, type Job, type JobStatus } from '../jobs/index.js';
import { maskParams } from './mask.js';
import type { DashboardJobs } from './sources.js';

/** The jobs list's filters, as the URL carries them (shareable links). */
export interface JobQuery {
  readonly state?: JobStatus | undefined;
  readonly server?: string | undefined;
  readonly type?: string | undefined;
  readonly template?: string | undefined;
  readonly text?: string | undefined;
  /** The last job of the previous page: this page starts after it (older). */
  readonly cursor?: string | undefined;
}

const MAX_FIELD = 200;

/** Reads the filters from a query string; what cannot be used is dropped and named in `problems`. */
export function parseJobQuery(params: URLSearchParams): { query: JobQuery; problems: string[] } {
  const problems: string[] = [];
  const field = (name: string): string | undefined => {
    const v = params.get(name)?.trim();
    if (!v) return undefined;
    if (v.length > MAX_FIELD) {
      problems.push(`${name} is longer than ${MAX_FIELD} characters and was ignored.`);
      return undefined;
    }
    return v;
  };
  const state = field('state');
  const cursor = field('cursor');
  if (state !== undefined && !(JOB_STATUSES as readonly string[]).includes(state))
    problems.push(`state "${state}" is not one of ${JOB_STATUSES.join(', ')}; it was ignored.`);
  if (cursor !== undefined && !isJobId(cursor)) problems.push('cursor is not a job id; showing the newest jobs.');
  return {
    query: {
      state:
        state !== undefined && (JOB_STATUSES as readonly string[]).includes(state) ? (state as JobStatus) : undefined,
      server: field('server'),
      type: field('type'),
      template: field('template'),
      text: field('text'),
      cursor: cursor !== undefined && isJobId(cursor) ? cursor : undefined,
    },
    problems,
  };
}

/** The query string for a query (only the fields set), with some fields replaced. */
export function queryString(q: JobQuery, change: Partial<Record<keyof JobQuery, string | undefined>> = {}): string {
  const merged: Record<string, string | undefined> = { ...q, ...change };
  const p = new URLSearchParams();
  for (const k of ['state', 'server', 'type', 'template', 'text', 'cursor'] as const) {
    const v = merged[k];
    if (v) p.set(k, v);
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

export interface SearchResult {
  readonly jobs: Job[];
  /** Older jobs follow: pass as `cursor`. */
  readonly next_cursor: string | null;
  /** True when the text/template filter stopped at its scan budget: next_cursor continues the search. */
  readonly partial: boolean;
  readonly scanned: number;
}

export interface SearchOptions {
  readonly limit: number;
  /** Jobs examined at most per page when filtering by text or template (those filters are applied here). */
  readonly scanBudget?: number;
  readonly templateOf?: ((job: Job) => string | undefined) | undefined;
  /** The template filter as a store id: the store selects the template's runs (no scan). */
  readonly templateId?: string | undefined;
}

/**
 * A page of jobs, newest first. State, server and type go to the job service; text and template are matched here
 * over the service's pages, up to a scan budget, because the service has no such filters yet.
 * TODO(lead, store): pass text (id, command, error) and template to the store query and drop the scan.
 */
export async function searchJobs(
  jobs: Pick<DashboardJobs, 'list'>,
  q: JobQuery,
  opts: SearchOptions,
): Promise<SearchResult> {
  const filter = { status: q.state, server: q.server, type: q.type, template_id: opts.templateId };
  const text = q.text?.toLowerCase();
  const template = opts.templateId === undefined ? q.template : undefined;
  if (!text && !template) {
    const page = await jobs.list(filter, opts.limit, q.cursor);
    return { jobs: page.jobs, next_cursor: page.next_cursor, partial: false, scanned: page.jobs.length };
  }
  const budget = opts.scanBudget ?? 5000;
  const matches = (j: Job) =>
    (!template || opts.templateOf?.(j) === template) && (!text || searchableText(j).includes(text));
  const found: Job[] = [];
  let scanned = 0;
  let cursor = q.cursor;
  for (;;) {
    const page = await jobs.list(filter, Math.min(500, budget - scanned), cursor);
    for (const j of page.jobs) {
      scanned++;
      if (!matches(j)) continue;
      if (found.length === opts.limit) {
        // One more match than the page holds: another page follows, starting after the last one shown.
        return { jobs: found, next_cursor: found.at(-1)?.id ?? null, partial: false, scanned };
      }
      found.push(j);
    }
    if (!page.next_cursor) return { jobs: found, next_cursor: null, partial: false, scanned };
    cursor = page.next_cursor;
    if (scanned >= budget) return { jobs: found, next_cursor: cursor, partial: true, scanned };
  }
}

/** What the text filter looks in: the id, type, server, parameters (secrets masked) and the error. */
export function searchableText(j: Job): string {
  return [j.id, j.type, j.server ?? '', JSON.stringify(maskParams(j.params)), j.error?.message ?? '']
    .join('\n')
    .toLowerCase();
}
