import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { formatBytes } from '../../format.js';
import type { Job } from '../../jobs/index.js';
import { waitWithProgress } from '../progress.js';
import { admit, type AdmitInput } from './shared/admit.js';
import type { ToolDeps } from './shared/deps.js';
import { jobAnswer, jobAnswerShape, jobText, syncWaitArg } from './shared/job-answer.js';
import { guarded, ok } from './shared/results.js';
import { remotePath, serverName } from './shared/schemas.js';

export function registerTransferFileTool(
  server: McpServer,
  deps: Pick<ToolDeps, 'files' | 'changes' | 'jobs' | 'safety' | 'session'>,
): void {
  server.registerTool(
    'transfer-file',
    {
      title: 'Copy a large file to or from a server',
      description:
        "Copy a file of any size between deckhand's machine and a server, as a job: progress (bytes, rate, time " +
        'left), resumed after dropped connections, sha256-verified before it replaces the destination. local_path ' +
        'is inside DECKHAND_FILES_ROOT (relative paths start there).',
      inputSchema: z
        .object({
          server: serverName.describe('Registered server name.'),
          direction: z.enum(['upload', 'download']).describe('upload: local → server; download: server → local.'),
          local_path: z.string().min(1).max(4096).describe('Path inside DECKHAND_FILES_ROOT.'),
          remote_path: remotePath.describe('Absolute path on the server.'),
          timeout_s: z
            .number()
            .int()
            .min(1)
            .max(30 * 24 * 3600)
            .optional()
            .describe('Default 86400.'),
          sync_wait_s: syncWaitArg,
        })
        .strict(),
      outputSchema: jobAnswerShape,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    guarded(async (args, extra) => {
      const gate = await admit(
        server,
        deps,
        { ...(await transferTarget(deps, args, extra.signal)), args, startsJob: true },
        extra,
      );
      if (!gate.ok) return gate.result;
      const { job: queued, joined } = await gate.run(() => deps.files.submitTransfer(args, gate.jobId));
      if (joined) await gate.finish(`joined job ${queued.id} already under way`);
      const job = await waitWithProgress(deps, extra, queued, (j) =>
        deps.files.wait(j, args.sync_wait_s * 1000, extra.signal),
      );
      return ok({ ...jobAnswer(job, joined) }, answerText(job));
    }),
  );
}

/**
 * An upload writes a file on the server: policy judges it as a write-file of the remote path (a server's patterns
 * say `write-file /srv/**` for both; a job that runs long is not judged again when it renames its copy into place).
 * A download reads the server, as read-file may without asking, and writes only inside DECKHAND_FILES_ROOT: a
 * server's policy refuses it only by a deny pattern naming it, a caller token's policy judges the local write
 * (class change, or destructive when it replaces a file), and it is in the audit log.
 */
async function transferTarget(
  deps: Pick<ToolDeps, 'files'>,
  args: { server: string; direction: 'upload' | 'download'; local_path: string; remote_path: string },
  signal: AbortSignal,
): Promise<Pick<AdmitInput, 'tool' | 'targets'>> {
  if (args.direction === 'upload') {
    const site = await deps.files.whereUpload(args, signal);
    return {
      tool: 'transfer-file',
      targets: [
        {
          server: args.server,
          action: { kind: 'write-file', path: site.path, target: site.target, exists: site.exists, by: 'upload' },
        },
      ],
    };
  }
  const { local, exists } = await deps.files.whereDownload(args);
  return {
    tool: 'transfer-file',
    targets: [
      // On the server only a read, which every policy allows unless a deny pattern names it; it names the server
      // in the audit log.
      {
        server: args.server,
        action: {
          kind: 'tool',
          tool: 'transfer-file',
          class: 'read-only',
          why: `reads ${args.remote_path}`,
          words: ['download', args.remote_path],
        },
      },
      { server: null, action: { kind: 'download', remote: args.remote_path, local, exists } },
    ],
  };
}

function answerText(job: Job): string {
  const p = job.params as { direction?: string; local_path?: string; remote_path?: string };
  const what = `transfer-file ${p.direction} ${p.direction === 'upload' ? `${p.local_path} → ${job.server}:${p.remote_path}` : `${job.server}:${p.remote_path} → ${p.local_path}`}`;
  if (job.status !== 'completed') {
    const progress = job.progress.message ? ` (${job.progress.message})` : '';
    return `${jobText(job, what)}${progress}`;
  }
  const r = (job.result ?? {}) as { bytes?: number; sha256?: string; resumed_from?: number; rate?: number };
  const resumed = r.resumed_from ? `, resumed from ${formatBytes(r.resumed_from)}` : '';
  const rate = r.rate ? `, ${formatBytes(r.rate)}/s` : '';
  return `${what}: completed, ${formatBytes(r.bytes ?? 0)} verified (sha256 ${r.sha256})${resumed}${rate} (job ${job.id}).`;
}
