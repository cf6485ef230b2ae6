import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { WriteFileResult } from '../../files/index.js';
import { byteLimitedString } from './shared/byte-limit.js';
import { admit } from './shared/admit.js';
import type { ToolDeps } from './shared/deps.js';
import { guarded, ok } from './shared/results.js';
import { remotePath, serverName } from './shared/schemas.js';

/** Larger files go through transfer-file: a tool call's arguments travel whole in one JSON-RPC message. */
const MAX_CONTENT = 1024 * 1024;

export function registerWriteFileTool(server: McpServer, deps: Pick<ToolDeps, 'files' | 'safety' | 'session'>): void {
  server.registerTool(
    'write-file',
    {
      title: 'Write a file on a server',
      description:
        'Create or atomically replace a file over SFTP (temp file, then rename), keeping mode and owner unless ' +
        'given; answers the diff. With if_sha256 (from read-file) it refuses if the file changed since. Keeps ' +
        '<path>.deckhand-<time>.bak unless backup is false. Up to 1 MiB; more: transfer-file.',
      inputSchema: z
        .object({
          server: serverName.describe('Registered server name.'),
          path: remotePath.describe('Absolute path.'),
          content: byteLimitedString(MAX_CONTENT).optional().describe('Text content (or base64).'),
          base64: z
            .string()
            .max(Math.ceil(MAX_CONTENT / 3) * 4 + 64)
            .optional()
            .describe('Binary content, as base64.'),
          mode: z
            .string()
            .regex(/^(0o?)?[0-7]{3,4}$/, 'must be octal permission bits like "644" or "0640"')
            .optional()
            .describe('Octal, e.g. "0640".'),
          owner: z.string().max(130).optional().describe('"user", "user:group" or "uid:gid".'),
          if_sha256: z
            .string()
            .regex(/^[0-9a-fA-F]{64}$/, 'must be a sha256 in hex (64 characters)')
            .optional()
            .describe('sha256 the file must still have.'),
          backup: z.boolean().default(true),
          create_dirs: z.boolean().default(false).describe('Create missing parent directories.'),
        })
        .strict(),
      outputSchema: {
        path: z.string(),
        created: z.boolean(),
        size: z.number(),
        mode: z.string(),
        uid: z.number(),
        gid: z.number(),
        sha256: z.string(),
        previous_sha256: z.string().optional(),
        backup_path: z.string().optional(),
        diff: z.string(),
        diff_truncated: z.boolean(),
      },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    guarded(async (args, extra) => {
      // Bad content or mode is answered before the server is touched; then policy judges the write by where it
      // lands (symlinks resolved) and whether it replaces a file, and the write is refused if either changed since.
      const content = deps.files.checkWrite(args);
      const site = await deps.files.whereWrite({ server: args.server, path: args.path, signal: extra.signal });
      const gate = await admit(
        server,
        deps,
        {
          tool: 'write-file',
          targets: [
            {
              server: args.server,
              action: {
                kind: 'write-file',
                path: site.path,
                target: site.target,
                exists: site.exists,
                by: 'write-file',
                mode: content.mode,
                backup: args.backup,
              },
            },
          ],
          // The content is not recorded (it may hold secrets, and up to 1 MiB): its size and sha256 are.
          args: {
            server: args.server,
            path: args.path,
            bytes: content.bytes,
            sha256: content.sha256,
            ...(args.mode !== undefined ? { mode: args.mode } : {}),
            ...(args.owner !== undefined ? { owner: args.owner } : {}),
            ...(args.if_sha256 !== undefined ? { if_sha256: args.if_sha256 } : {}),
            backup: args.backup,
            create_dirs: args.create_dirs,
          },
        },
        extra,
      );
      if (!gate.ok) return gate.result;
      const r = await gate.run(() => deps.files.write({ ...args, signal: extra.signal, admitted: site }));
      return ok(structured(r), answerText(r));
    }),
  );
}

function structured(r: WriteFileResult): Record<string, unknown> {
  return {
    path: r.path,
    created: r.created,
    size: r.info.size,
    mode: r.info.mode,
    uid: r.info.uid,
    gid: r.info.gid,
    sha256: r.sha256,
    ...(r.previousSha256 ? { previous_sha256: r.previousSha256 } : {}),
    ...(r.backupPath ? { backup_path: r.backupPath } : {}),
    diff: r.diff.text,
    diff_truncated: r.diff.truncated,
  };
}

function answerText(r: WriteFileResult): string {
  const what = r.created ? 'Created' : 'Replaced';
  const link = r.viaSymlink ? ` (through the symlink ${r.viaSymlink})` : '';
  const was = r.previousSha256 ? `; was ${r.previousSha256}` : '';
  const bak = r.backupPath ? `\nBackup: ${r.backupPath}` : '';
  const diff = r.diff.text ? `\n${r.diff.text}` : '\n(content unchanged)';
  return `${what} ${r.path}${link}: ${r.info.size} bytes, mode ${r.info.mode}, uid ${r.info.uid} gid ${r.info.gid}, sha256 ${r.sha256}${was}${bak}${diff}`;
}
