import type { CallToolResult, ResourceLink } from '@modelcontextprotocol/sdk/types.js';
import { isJobId, type Job } from '../jobs/index.js';

/** The URIs under which jobs are served as MCP resources (see resources.ts). */
export const JOB_URI_TEMPLATE = 'deckhand://jobs/{id}';
export const JOB_LOG_URI_TEMPLATE = 'deckhand://jobs/{id}/log';

export type JobResourceKind = 'record' | 'log';

export function jobUri(id: string): string {
  return `deckhand://jobs/${id}`;
}

export function jobLogUri(id: string): string {
  return `deckhand://jobs/${id}/log`;
}

/**
 * The job a deckhand URI names, or undefined when the URI is not one of ours. A deckhand URI with a malformed
 * id comes back with `valid: false`, so callers can answer "not found" instead of ignoring it.
 */
export function parseJobUri(uri: string): { id: string; kind: JobResourceKind; valid: boolean } | undefined {
  const m = /^deckhand:\/\/jobs\/([^/?#]+)(\/log)?$/.exec(uri);
  if (!m) return undefined;
  const id = m[1] as string;
  return { id, kind: m[2] ? 'log' : 'record', valid: isJobId(id) };
}

/** A resource_link content item pointing at a job's log, for tool results that return a job. */
export function jobLogLink(job: Pick<Job, 'id' | 'type' | 'server'>): ResourceLink {
  return {
    type: 'resource_link',
    uri: jobLogUri(job.id),
    name: `${job.id}/log`,
    title: `Log of ${job.type} job ${job.id}${job.server ? ` on ${job.server}` : ''}`,
    description:
      'The job output (last 1000 lines, at most 64 KiB). Subscribe to it for updates while the job runs; ' +
      `the job record is ${jobUri(job.id)}.`,
    mimeType: 'text/plain',
  };
}

/** The result with a link to the job's log appended to its content. */
export function withJobLink(result: CallToolResult, job: Pick<Job, 'id' | 'type' | 'server'>): CallToolResult {
  return { ...result, content: [...result.content, jobLogLink(job)] };
}
