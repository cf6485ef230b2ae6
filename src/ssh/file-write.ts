import { createHash, randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { Client, Stats } from 'ssh2';
import { DeckhandError, ValidationError } from '../errors.js';
import { cappedDiff, DEFAULT_MAX_DIFF_BYTES, type CappedDiff } from './file-diff.js';
import { remoteSha256 } from './remote-hash.js';
import { infoOf, sessionFor, type FileInfo, type SftpSession } from './sftp.js';
import { fileError, notRegularFile, octal } from './sftp-errors.js';
import { DEFAULT_PIPELINE, pipelinedRead, pipelinedWrite } from './sftp-pipeline.js';

/** Files up to this size are read before they are replaced, for the diff; larger ones are only hashed. */
const DIFF_READ_LIMIT = 1024 * 1024;

export interface WriteFileOptions {
  /** Permission bits for the file (e.g. 0o640). Default: those of the file replaced, 0644 for a new one. */
  readonly mode?: number | undefined;
  /** Owner for the file. Default: that of the file replaced; a new file belongs to the login user. */
  readonly owner?: { readonly uid: number; readonly gid: number } | undefined;
  /** Refuse unless the file's current content has this sha256 (hex): no lost update between a read and this write. */
  readonly ifSha256?: string | undefined;
  /** Keep the replaced file as `<path>.deckhand-<UTC timestamp>.bak` (default true). */
  readonly backup?: boolean | undefined;
  /** Create missing parent directories, mode 0755 (default false). */
  readonly createDirs?: boolean | undefined;
  readonly maxDiffBytes?: number | undefined;
  readonly loginUser?: string | undefined;
  /** For the backup's timestamp; tests pass a fixed clock. */
  readonly now?: (() => Date) | undefined;
}

export interface WriteFileResult {
  /** The file written: the path given, or the file its symlink points to (`viaSymlink` then names the link). */
  readonly path: string;
  readonly viaSymlink?: string;
  readonly created: boolean;
  readonly info: FileInfo;
  readonly sha256: string;
  readonly previousSha256?: string;
  readonly backupPath?: string;
  readonly diff: CappedDiff;
}

/**
 * Replaces a remote file atomically: the content goes to a temp file in the same directory, gets its mode and
 * owner and is flushed, then is renamed over the file (posix-rename), so a reader sees the old file or the new
 * one, never a part. `ifSha256` is checked before writing and the file's size and mtime once more just before
 * the rename; SFTP offers no compare-and-swap, so a change inside that last moment would still go unseen.
 */
export async function writeFile(
  on: Client | SftpSession,
  path: string,
  content: Buffer,
  opts: WriteFileOptions = {},
): Promise<WriteFileResult> {
  if (!posix.isAbsolute(path)) throw new ValidationError(`path must be absolute, got "${path}".`);
  if (opts.mode !== undefined && (!Number.isInteger(opts.mode) || opts.mode < 0 || opts.mode > 0o7777)) {
    throw new ValidationError(`mode must be permission bits such as 0o644 (420), got ${opts.mode}.`);
  }
  const { sftp, done } = await sessionFor(on, opts.loginUser);
  const client = sftp.client;
  try {
    const target = await resolveTarget(sftp, path);
    const existing = await sftp.statOrUndefined(target);
    if (existing && !existing.isFile())
      throw notRegularFile(target, existing.isDirectory() ? 'directory' : 'special file');
    const before = existing ? await readBefore(client, sftp, target, existing) : undefined;
    if (opts.ifSha256 !== undefined) checkExpected(target, opts.ifSha256, before?.sha256);
    const dir = posix.dirname(target);
    if (opts.createDirs) await mkdirs(sftp, dir);
    const mode = opts.mode ?? (existing ? existing.mode & 0o7777 : 0o644);
    const owner = opts.owner ?? (existing ? { uid: existing.uid, gid: existing.gid } : undefined);
    const temp = posix.join(dir, `.${posix.basename(target)}.deckhand-${randomBytes(6).toString('hex')}.tmp`);
    await writeTemp(sftp, temp, target, content, mode, owner);
    let backupPath: string | undefined;
    try {
      if (existing) await checkUnchanged(sftp, target, existing, opts.ifSha256 !== undefined);
      if (existing && opts.backup !== false) {
        backupPath = `${target}.deckhand-${stamp((opts.now ?? (() => new Date()))())}.bak`;
        await keepBackup(sftp, target, backupPath, existing, before?.content);
      }
      await sftp.posixRename(temp, target);
    } catch (err) {
      await sftp.unlink(temp).catch(() => undefined);
      throw err;
    }
    const info = infoOf(target, await sftp.stat(target));
    const sha256 = createHash('sha256').update(content).digest('hex');
    return {
      path: target,
      ...(target !== path ? { viaSymlink: path } : {}),
      created: !existing,
      info,
      sha256,
      ...(before ? { previousSha256: before.sha256 } : {}),
      ...(backupPath ? { backupPath } : {}),
      diff:
        before && !before.content
          ? tooLargeToDiff(target, existing as Stats, content)
          : cappedDiff(target, before?.content, content, opts.maxDiffBytes ?? DEFAULT_MAX_DIFF_BYTES),
    };
  } finally {
    done();
  }
}

/** A symlink is written through (its target replaced), not replaced by a file. */
async function resolveTarget(sftp: SftpSession, path: string): Promise<string> {
  const l = await sftp.lstat(path).catch((err: unknown) => {
    if (err instanceof DeckhandError && err.code === 'file_not_found') return undefined;
    throw err;
  });
  return l?.isSymbolicLink() ? sftp.realpath(path) : path;
}

async function readBefore(
  client: Client,
  sftp: SftpSession,
  path: string,
  st: Stats,
): Promise<{ sha256: string; content?: Buffer }> {
  if (st.size > DIFF_READ_LIMIT) return { sha256: (await remoteSha256(client, sftp, path, st.size)).sha256 };
  const parts: Buffer[] = [];
  const handle = await sftp.open(path, 'r').catch(async (err: unknown) => {
    throw fileError(err, 'read', path, await sftp.ownerOf(path));
  });
  try {
    await pipelinedRead(sftp, handle, path, 0, st.size, DEFAULT_PIPELINE, (d) => void parts.push(Buffer.from(d)));
  } finally {
    await sftp.closeHandle(handle, path).catch(() => undefined);
  }
  const content = Buffer.concat(parts);
  return { sha256: createHash('sha256').update(content).digest('hex'), content };
}

function checkExpected(path: string, expected: string, current: string | undefined): void {
  if (current === expected.toLowerCase()) return;
  const now = current ? `its sha256 is now ${current}` : 'it no longer exists';
  throw new DeckhandError(
    'write_conflict',
    `${path} changed since it was read: if_sha256 is ${expected} but ${now}. Nothing was written.`,
    {
      hint: 'Read the file again, apply your change to what it holds now, and write with the new sha256.',
    },
  );
}

/** The cheap second look just before the rename: a write by someone else in the meantime changes size or mtime. */
async function checkUnchanged(sftp: SftpSession, path: string, was: Stats, strict: boolean): Promise<void> {
  if (!strict) return;
  const now = await sftp.stat(path);
  if (now.size !== was.size || now.mtime !== was.mtime) {
    throw new DeckhandError('write_conflict', `${path} changed while it was being replaced. Nothing was written.`, {
      hint: 'Read the file again and retry with its new sha256.',
    });
  }
}

async function writeTemp(
  sftp: SftpSession,
  temp: string,
  target: string,
  content: Buffer,
  mode: number,
  owner: { uid: number; gid: number } | undefined,
): Promise<void> {
  const dir = posix.dirname(target);
  const handle = await sftp.open(temp, 'wx', { mode }).catch(async (err: unknown) => {
    throw fileError(err, `create a temp file in ${dir} to replace`, target, await sftp.ownerOf(dir));
  });
  try {
    const chunks = async function* () {
      for (let i = 0; i < content.length; i += DEFAULT_PIPELINE.chunk)
        yield content.subarray(i, i + DEFAULT_PIPELINE.chunk);
    };
    const spaceCtx = async () => ({ bytesFree: await sftp.bytesFree(dir), bytesNeeded: content.length });
    await pipelinedWrite(sftp, handle, temp, 0, chunks(), DEFAULT_PIPELINE, () => undefined).catch(
      async (err: unknown) => {
        throw fileError(err, 'write', target, await spaceCtx());
      },
    );
    // Explicit, so sftp-server's umask does not decide the mode.
    await sftp.fchmod(handle, temp, mode);
    if (owner) {
      await sftp.fchown(handle, temp, owner.uid, owner.gid).catch(async (err: unknown) => {
        const ctx = await sftp.ownerOf(target);
        throw new DeckhandError(
          'permission_denied',
          `Cannot keep ${target} owned by uid ${owner.uid} (gid ${owner.gid}): the login user cannot give files away. Nothing was written.`,
          {
            hint: `Write as root or as the owner${ctx.loginUser ? ` (deckhand logs in as "${ctx.loginUser}")` : ''}, or pass owner explicitly with ids the login user may set (its own).`,
            cause: err,
          },
        );
      });
    }
    await sftp.fsync(handle, temp);
  } catch (err) {
    await sftp.closeHandle(handle, temp).catch(() => undefined);
    await sftp.unlink(temp).catch(() => undefined);
    throw err;
  }
  await sftp.closeHandle(handle, temp);
}

/** A hard link costs nothing and keeps the old file whole; servers that refuse it (or other file systems) get a copy. */
async function keepBackup(
  sftp: SftpSession,
  path: string,
  bak: string,
  st: Stats,
  content: Buffer | undefined,
): Promise<void> {
  const linked = await sftp.hardlink(path, bak).then(
    () => true,
    () => false,
  );
  if (linked) return;
  const out = await sftp.open(bak, 'wx', { mode: st.mode & 0o7777 });
  try {
    if (content) {
      await sftp.write(out, bak, content, 0);
    } else {
      const src = await sftp.open(path, 'r');
      try {
        await pipelinedRead(sftp, src, path, 0, st.size, DEFAULT_PIPELINE, (d, pos) =>
          sftp.write(out, bak, Buffer.from(d), pos),
        );
      } finally {
        await sftp.closeHandle(src, path).catch(() => undefined);
      }
    }
  } finally {
    await sftp.closeHandle(out, bak).catch(() => undefined);
  }
}

async function mkdirs(sftp: SftpSession, dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; d !== '/' && !(await sftp.statOrUndefined(d)); d = posix.dirname(d)) missing.unshift(d);
  for (const d of missing) {
    await sftp.mkdir(d, 0o755).catch(async (err: unknown) => {
      throw fileError(err, 'create the directory', d, await sftp.ownerOf(posix.dirname(d)));
    });
  }
}

function tooLargeToDiff(path: string, was: Stats, content: Buffer): CappedDiff {
  return {
    text: `${path} was too large to diff (${was.size} → ${content.length} bytes; mode ${octal(was.mode)}).`,
    truncated: true,
  };
}

/** 2026-05-01T12:03:04.567Z → 20260501T120304567Z: sortable, unique per millisecond, nothing a shell minds. */
function stamp(d: Date): string {
  return d.toISOString().replace(/[-:.]/g, '');
}
