import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { DirectoryPage, FilePage } from '../../files/index.js';
import type { ToolDeps } from './shared/deps.js';
import { guarded, ok } from './shared/results.js';
import { remotePath, serverName } from './shared/schemas.js';

export function registerReadFileTool(server: McpServer, deps: Pick<ToolDeps, 'files'>): void {
  server.registerTool(
    'read-file',
    {
      title: 'Read a file on a server',
      description:
        "Read a file over SFTP, up to 64 KiB a call, with size, mode, owner, mtime and the whole file's sha256 " +
        '(give it to write-file as if_sha256), or list a directory. For more, pass next.offset and next.cursor. ' +
        'Binary files need encoding base64.',
      inputSchema: z
        .object({
          server: serverName.describe('Registered server name.'),
          path: remotePath.describe('Absolute path.'),
          offset: z.number().int().min(0).optional().describe('Byte offset (entry index for a directory).'),
          length: z.number().int().min(1).max(65536).optional().describe('Bytes (entries) to read.'),
          encoding: z.enum(['utf8', 'base64']).default('utf8'),
          cursor: z.string().max(200).optional().describe('The previous next.cursor.'),
        })
        .strict(),
      outputSchema: {
        kind: z.enum(['file', 'directory']),
        path: z.string(),
        size: z.number(),
        mode: z.string(),
        uid: z.number(),
        gid: z.number(),
        mtime: z.string(),
        sha256: z.string().optional(),
        offset: z.number(),
        content: z.string().optional(),
        encoding: z.string().optional(),
        eof: z.boolean().optional(),
        entries: z
          .array(z.object({ name: z.string(), kind: z.string(), size: z.number(), mode: z.string() }))
          .optional(),
        total: z.number().optional(),
        next: z.object({ offset: z.number(), cursor: z.string().optional() }).optional(),
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    guarded(async (args, extra) => {
      const page = await deps.files.read({ ...args, signal: extra.signal });
      return ok(structured(page), page.kind === 'file' ? fileText(page) : dirText(page));
    }),
  );
}

function structured(p: FilePage | DirectoryPage): Record<string, unknown> {
  const { path, size, mode, uid, gid, mtime } = p.info;
  const head = { kind: p.kind, path, size, mode, uid, gid, mtime, offset: p.offset };
  if (p.kind === 'directory') {
    const entries = p.entries.map((e) => ({ name: e.name, kind: e.kind, size: e.size, mode: e.mode }));
    return { ...head, entries, total: p.total, ...(p.next ? { next: p.next } : {}) };
  }
  return {
    ...head,
    sha256: p.sha256,
    content: p.content,
    encoding: p.encoding,
    eof: p.eof,
    ...(p.next ? { next: p.next } : {}),
  };
}

function fileText(p: FilePage): string {
  const i = p.info;
  const range = p.eof && p.offset === 0 ? '' : `, bytes ${p.offset}–${p.offset + p.length} of ${i.size}`;
  const more = p.next ? `\n(more: offset ${p.next.offset}, cursor "${p.next.cursor}")` : '';
  const changed = p.changedSinceCursor ? '\n(the file changed since the previous page was read)' : '';
  return `${i.path}: ${i.size} bytes, mode ${i.mode}, uid ${i.uid} gid ${i.gid}, mtime ${i.mtime}, sha256 ${p.sha256}${range}${p.encoding === 'base64' ? ' (base64)' : ''}${changed}\n${p.content}${more}`;
}

function dirText(p: DirectoryPage): string {
  const lines = p.entries.map(
    (e) =>
      `${e.kind === 'directory' ? 'd' : e.kind === 'symlink' ? 'l' : '-'} ${e.mode} ${String(e.size).padStart(10)} ${e.mtime} ${e.name}`,
  );
  const more = p.next ? `\n(more: offset ${p.next.offset})` : '';
  return `${p.info.path}: directory, ${p.total} entries (${p.offset}–${p.offset + p.entries.length})\n${lines.join('\n')}${more}`;
}
