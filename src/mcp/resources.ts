import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  McpError,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type ListResourcesResult,
} from '@modelcontextprotocol/sdk/types.js';
import { errorMessage } from '../errors.js';
import type { LogLine } from '../jobs/index.js';
import type { Job } from '../jobs/index.js';
import type { JobService } from '../jobs/index.js';
import { formatLines, publicJob } from './tools/shared/job-shapes.js';
import { formatBytes, formatCount } from '../format.js';
import type { JobChanges, JobLifecycle } from '../jobs/index.js';
import { JOB_LOG_URI_TEMPLATE, JOB_URI_TEMPLATE, jobLogUri, jobUri, parseJobUri } from './links.js';
import { removalText } from '../jobs/index.js';
import { ResourceSubscriptions } from './subscriptions.js';

/** JSON-RPC error code the MCP spec gives to "resource not found". */
export const RESOURCE_NOT_FOUND = -32002;
/** The log resource is capped like the tools' output: the last lines, within a byte budget, with a marker. */
export const LOG_RESOURCE_LINES = 1000;
export const LOG_RESOURCE_BYTES = 64 * 1024;
const LISTED_JOBS = 25;

export interface JobResourcesDeps {
  readonly jobs: JobService;
  readonly changes: JobChanges;
  readonly onError?: (err: unknown, context: string) => void;
}

/**
 * Registers deckhand://jobs/{id} (the job record, JSON) and deckhand://jobs/{id}/log (its log, text), listed
 * through resource templates, with resources/subscribe and unsubscribe (McpServer has neither). Returns the
 * function that drops the session's subscriptions (on session close).
 */
export function registerJobResources(server: McpServer, deps: JobResourcesDeps): () => void {
  const { jobs } = deps;
  const recent = async (kind: 'record' | 'log'): Promise<ListResourcesResult> => {
    const page = await jobs.list({}, LISTED_JOBS);
    return { resources: page.jobs.map((j) => listed(j, kind)) };
  };
  server.registerResource(
    'job',
    new ResourceTemplate(JOB_URI_TEMPLATE, { list: () => recent('record') }),
    {
      title: 'Job record',
      description: 'A deckhand job as JSON: status, progress, exit code, error, timestamps. Recent jobs are listed.',
      mimeType: 'application/json',
    },
    async (uri, { id }) => {
      const job = await findJob(jobs, String(id), uri.href);
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(publicJob(job)) }] };
    },
  );
  server.registerResource(
    'job-log',
    new ResourceTemplate(JOB_LOG_URI_TEMPLATE, { list: () => recent('log') }),
    {
      title: 'Job log',
      description: `A job's output, oldest first: the last ${LOG_RESOURCE_LINES} lines within ${LOG_RESOURCE_BYTES / 1024} KiB, with a marker for what is left out (get-job-status pages through all of it).`,
      mimeType: 'text/plain',
    },
    async (uri, { id }) => {
      const job = await findJob(jobs, String(id), uri.href);
      return { contents: [{ uri: uri.href, mimeType: 'text/plain', text: await logText(jobs, job) }] };
    },
  );

  const subs = new ResourceSubscriptions({
    changes: deps.changes,
    send: (uri) => server.server.sendResourceUpdated({ uri }),
    onError: (err) => deps.onError?.(err, 'resource update'),
  });
  server.server.setRequestHandler(SubscribeRequestSchema, async (req) => {
    const parsed = parseJobUri(req.params.uri);
    // Ours must name a job that exists; a URI deckhand does not serve is accepted and simply never updated.
    if (parsed) await findJob(jobs, parsed.id, req.params.uri);
    subs.subscribe(req.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
    subs.unsubscribe(req.params.uri);
    return {};
  });
  // resources/list shows the recent jobs: a new job changes it.
  const onJob = (_job: Job, step: JobLifecycle | undefined) => {
    if (step !== 'queued' || !server.server.getClientCapabilities()) return;
    server.server.sendResourceListChanged().catch((err: unknown) => deps.onError?.(err, 'resource list changed'));
  };
  deps.changes.events.on('job', onJob);
  const release = deps.changes.retain();
  return () => {
    deps.changes.events.off('job', onJob);
    release();
    subs.close();
  };
}

function listed(job: Job, kind: 'record' | 'log') {
  const what = `${job.type}${job.server ? ` on ${job.server}` : ''}: ${job.status}`;
  return kind === 'record'
    ? { uri: jobUri(job.id), name: job.id, title: `Job ${what}`, mimeType: 'application/json' }
    : { uri: jobLogUri(job.id), name: `${job.id}/log`, title: `Log of ${what}`, mimeType: 'text/plain' };
}

async function findJob(jobs: JobService, id: string, uri: string): Promise<Job> {
  try {
    return await jobs.get(id);
  } catch (err) {
    throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}. ${errorMessage(err)}`, { uri });
  }
}

/** The last lines of a job's log as text, cut to the byte budget from the front, with a marker saying what is left out. */
export async function logText(jobs: JobService, job: Job): Promise<string> {
  const log = await jobs.read(job.id, { limit: LOG_RESOURCE_LINES });
  if (log.removed) return `[deckhand] ${removalText(log.removed)}\n`;
  const texts = log.lines.map((l) => formatLines([l]));
  let bytes = 0;
  let first = texts.length;
  while (first > 0) {
    const size = Buffer.byteLength(texts[first - 1] as string) + 1;
    if (bytes + size > LOG_RESOURCE_BYTES) break;
    bytes += size;
    first -= 1;
  }
  if (first === texts.length) return '';
  // Lines are numbered from 1; a cap marker carries the seq of the last head line, which it follows.
  const lead = log.lines[first] as LogLine;
  const isMarker = first + 1 < log.lines.length && (log.lines[first + 1] as LogLine).seq > lead.seq + 1;
  const hidden = isMarker ? lead.seq : lead.seq - 1;
  const marker =
    hidden > 0
      ? `[deckhand] … ${formatCount(hidden)} earlier lines not shown (${formatBytes(log.log_bytes)} logged in all); ` +
        'get-job-status with a cursor pages through the whole log\n'
      : '';
  return `${marker}${texts.slice(first).join('\n')}\n`;
}
