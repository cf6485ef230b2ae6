import { createHash } from 'node:crypto';
import type { Client } from 'ssh2';
import { DeckhandError, ValidationError } from '../errors.js';
import { remoteSha256 } from './remote-hash.js';
import { infoOf, kindOf, sessionFor, type FileInfo, type FileKind, type SftpSession } from './sftp.js';
import { fileError } from './sftp-errors.js';

/** The most content one read answers with: enough for most config files, small enough for a model's context. */
export const MAX_READ_BYTES = 64 * 1024;
export const MAX_LIST_ENTRIES = 1000;
const DEFAULT_LIST_ENTRIES = 200;

export interface ReadFileOptions {
  /** Byte offset in a file, entry index in a directory. */
  readonly offset?: number | undefined;
  /** Bytes of a file (at most MAX_READ_BYTES), entries of a directory (at most MAX_LIST_ENTRIES). */
  readonly length?: number | undefined;
  readonly encoding?: 'utf8' | 'base64' | undefined;
  /** The `cursor` of the previous page: spares re-hashing the whole file when it has not changed since. */
  readonly cursor?: string | undefined;
  /** The login user, for permission messages. */
  readonly loginUser?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface FilePage {
  readonly kind: 'file';
  readonly info: FileInfo;
  readonly offset: number;
  /** Bytes this page covers (a utf8 page ends on a character boundary, so it may be a few bytes short). */
  readonly length: number;
  readonly encoding: 'utf8' | 'base64';
  readonly content: string;
  /** Of the whole file, hex. */
  readonly sha256: string;
  readonly eof: boolean;
  /** Where the next page starts, and the cursor to pass with it; absent at end of file. */
  readonly next?: { readonly offset: number; readonly cursor: string };
  /** The file changed (size or mtime) since the cursor's page was read: pages may not fit together. */
  readonly changedSinceCursor?: true;
}

export interface DirectoryEntry {
  readonly name: string;
  readonly kind: FileKind;
  readonly size: number;
  readonly mode: string;
  readonly mtime: string;
}

export interface DirectoryPage {
  readonly kind: 'directory';
  readonly info: FileInfo;
  /** Sorted by name. */
  readonly entries: readonly DirectoryEntry[];
  readonly offset: number;
  readonly total: number;
  readonly next?: { readonly offset: number };
}

/** stat (following symlinks) of a remote path. */
export async function statPath(on: Client | SftpSession, path: string, loginUser?: string): Promise<FileInfo> {
  const { sftp, done } = await sessionFor(on, loginUser);
  try {
    return infoOf(path, await sftp.stat(path));
  } finally {
    done();
  }
}

/**
 * One page of a file (with the whole file's sha256) or of a directory listing. `on` is a pooled connection's SFTP
 * session (Lease.sftp(), kept open) or a Client (a session is opened for the call and closed).
 */
export async function readFile(
  on: Client | SftpSession,
  path: string,
  opts: ReadFileOptions = {},
): Promise<FilePage | DirectoryPage> {
  const offset = opts.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new ValidationError(`offset must be a whole number ≥ 0, got ${offset}.`);
  const { sftp, done } = await sessionFor(on, opts.loginUser);
  const client = sftp.client;
  try {
    const st = await sftp.stat(path);
    const info = infoOf(path, st);
    if (info.kind === 'directory') return await listPage(sftp, path, info, offset, opts.length);
    if (info.kind !== 'file') {
      throw new DeckhandError('not_a_regular_file', `${path} is not a regular file (a device, socket or FIFO).`, {
        hint: 'read-file reads regular files and lists directories; use remote-bash for anything else.',
      });
    }
    return await filePage(client, sftp, info, st.mtime, offset, opts);
  } finally {
    done();
  }
}

async function filePage(
  client: Client,
  sftp: SftpSession,
  info: FileInfo,
  mtime: number,
  offset: number,
  opts: ReadFileOptions,
): Promise<FilePage> {
  const path = info.path;
  const want = Math.min(opts.length ?? MAX_READ_BYTES, MAX_READ_BYTES);
  const len = Math.max(0, Math.min(want, info.size - offset));
  const buf = Buffer.alloc(len);
  let got = 0;
  if (len > 0) {
    const handle = await sftp.open(path, 'r').catch(async (err: unknown) => {
      throw fileError(err, 'read', path, await sftp.ownerOf(path));
    });
    try {
      got = await sftp.read(handle, path, buf, len, offset);
    } finally {
      // Not awaited: the server answers a channel's requests in order, so nothing can overtake the close, and its
      // answer changes nothing here; a page costs one round trip less (of three).
      void sftp.closeHandle(handle, path).catch(() => undefined);
    }
  }
  let data = buf.subarray(0, got);
  const eofByBytes = offset + got >= info.size;
  const encoding = opts.encoding ?? 'utf8';
  let content: string;
  if (encoding === 'utf8') {
    if (!eofByBytes) data = data.subarray(0, data.length - incompleteTail(data));
    content = decodeText(data, path, offset);
  } else {
    content = data.toString('base64');
  }
  const end = offset + data.length;
  const eof = end >= info.size;
  const known = parseCursor(opts.cursor);
  const unchanged = known && known.size === info.size && known.mtime === mtime;
  let sha256: string;
  if (offset === 0 && eof) sha256 = createHash('sha256').update(data).digest('hex');
  else if (unchanged) sha256 = known.sha256;
  else sha256 = (await remoteSha256(client, sftp, path, info.size, opts.signal)).sha256;
  return {
    kind: 'file',
    info,
    offset,
    length: data.length,
    encoding,
    content,
    sha256,
    eof,
    ...(eof ? {} : { next: { offset: end, cursor: makeCursor({ size: info.size, mtime, sha256 }) } }),
    ...(known && !unchanged ? { changedSinceCursor: true as const } : {}),
  };
}

async function listPage(
  sftp: SftpSession,
  path: string,
  info: FileInfo,
  offset: number,
  length: number | undefined,
): Promise<DirectoryPage> {
  const limit = Math.min(length ?? DEFAULT_LIST_ENTRIES, MAX_LIST_ENTRIES);
  const all = (
    await sftp.readdir(path).catch(async (err: unknown) => {
      throw fileError(err, 'list', path, await sftp.ownerOf(path));
    })
  )
    .filter((e) => e.filename !== '.' && e.filename !== '..')
    .sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
  const entries = all.slice(offset, offset + limit).map((e) => {
    const i = infoOf(e.filename, e.attrs);
    return { name: e.filename, kind: kindOf(e.attrs), size: i.size, mode: i.mode, mtime: i.mtime };
  });
  const end = offset + entries.length;
  return {
    kind: 'directory',
    info,
    entries,
    offset,
    total: all.length,
    ...(end < all.length ? { next: { offset: end } } : {}),
  };
}

/** Bytes at the end of `data` that start a UTF-8 sequence the page cut short (0 to 3). */
function incompleteTail(data: Buffer): number {
  for (let back = 1; back <= Math.min(3, data.length); back++) {
    const b = data[data.length - back] as number;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back for the lead byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

function decodeText(data: Buffer, path: string, offset: number): string {
  const binary = () =>
    new DeckhandError('binary_content', `${path} holds binary data (at or after byte ${offset}), not UTF-8 text.`, {
      hint: 'Read it again with encoding "base64".',
    });
  if (data.includes(0)) throw binary();
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    throw binary();
  }
}

interface CursorState {
  readonly size: number;
  readonly mtime: number;
  readonly sha256: string;
}

function makeCursor(s: CursorState): string {
  return `${s.size}.${s.mtime}.${s.sha256}`;
}

function parseCursor(c: string | undefined): CursorState | undefined {
  const m = c ? /^(\d+)\.(\d+)\.([0-9a-f]{64})$/.exec(c) : null;
  return m ? { size: Number(m[1]), mtime: Number(m[2]), sha256: m[3] as string } : undefined;
}
