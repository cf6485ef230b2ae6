import type { Attributes, Client, FileEntry, InputAttributes, OpenMode, SFTPWrapper, Stats } from 'ssh2';
import { posix } from 'node:path';
import { DeckhandError } from '../errors.js';
import { fileError, octal, statusOf, SFTP_STATUS, type FailureContext } from './sftp-errors.js';

export type FileKind = 'file' | 'directory' | 'symlink' | 'other';

/** What read-file and write-file show about a path. Owner is numeric: SFTP v3 carries no user names. */
export interface FileInfo {
  readonly path: string;
  readonly kind: FileKind;
  readonly size: number;
  /** Permission bits as an octal string, e.g. "0644". */
  readonly mode: string;
  readonly uid: number;
  readonly gid: number;
  /** ISO 8601, to the second (SFTP v3 resolution). */
  readonly mtime: string;
}

export function kindOf(attrs: Attributes): FileKind {
  const t = attrs.mode & 0o170000;
  return t === 0o100000 ? 'file' : t === 0o040000 ? 'directory' : t === 0o120000 ? 'symlink' : 'other';
}

export function infoOf(path: string, attrs: Attributes): FileInfo {
  return {
    path,
    kind: kindOf(attrs),
    size: attrs.size,
    mode: octal(attrs.mode),
    uid: attrs.uid,
    gid: attrs.gid,
    mtime: new Date(attrs.mtime * 1000).toISOString(),
  };
}

/**
 * An SFTP channel with promise methods whose failures name the path. One per operation: opened on a pooled
 * connection's client and closed when done (`close()`), so a wedged channel never outlives the call.
 */
export class SftpSession {
  /** Once the channel is gone ssh2 buffers new requests forever: they must fail at once instead. */
  private gone = false;

  constructor(
    readonly raw: SFTPWrapper,
    /** The connection it runs on (remote-hash.ts runs sha256sum there). */
    readonly client: Client,
    private readonly loginUser?: string,
  ) {
    const onGone = () => {
      this.gone = true;
    };
    raw.once('close', onGone);
    raw.once('end', onGone);
  }

  close(): void {
    this.raw.end();
  }

  stat(path: string): Promise<Stats> {
    return this.call('stat', path, (cb) => this.raw.stat(path, cb));
  }

  lstat(path: string): Promise<Stats> {
    return this.call('stat', path, (cb) => this.raw.lstat(path, cb));
  }

  /** undefined when the path does not exist; other failures throw. */
  async statOrUndefined(path: string): Promise<Stats | undefined> {
    try {
      return await this.stat(path);
    } catch (err) {
      if (err instanceof DeckhandError && err.code === 'file_not_found') return undefined;
      throw err;
    }
  }

  realpath(path: string): Promise<string> {
    return this.call('resolve', path, (cb) => this.raw.realpath(path, cb));
  }

  open(path: string, flags: OpenMode, attrs?: InputAttributes): Promise<Buffer> {
    const op = flags.startsWith('r') ? 'open for reading' : 'open for writing';
    return this.call(op, path, (cb) =>
      attrs ? this.raw.open(path, flags, attrs, cb) : this.raw.open(path, flags, cb),
    );
  }

  closeHandle(handle: Buffer, path: string): Promise<void> {
    return this.call('close', path, (cb) => this.raw.close(handle, cb));
  }

  /** Reads up to `len` bytes at `position`; fewer only at end of file (0 at or past it). */
  async read(handle: Buffer, path: string, buf: Buffer, len: number, position: number): Promise<number> {
    let got = 0;
    while (got < len) {
      const n = await new Promise<number>((resolve, reject) => {
        if (this.gone) return reject(fileError(new Error('SFTP channel closed'), 'read', path));
        this.raw.read(handle, buf, got, len - got, position + got, (err, bytes) => {
          if (err && statusOf(err) === SFTP_STATUS.EOF) resolve(0);
          else if (err) reject(fileError(err, 'read', path));
          else resolve(bytes);
        });
      });
      if (n === 0) break;
      got += n;
    }
    return got;
  }

  write(
    handle: Buffer,
    path: string,
    buf: Buffer,
    position: number,
    ctx?: () => Promise<FailureContext>,
  ): Promise<void> {
    return this.call('write', path, (cb) => this.raw.write(handle, buf, 0, buf.length, position, cb), ctx);
  }

  readdir(path: string): Promise<FileEntry[]> {
    return this.call('list', path, (cb) => this.raw.readdir(path, cb));
  }

  mkdir(path: string, mode: number): Promise<void> {
    return this.call('create the directory', path, (cb) => this.raw.mkdir(path, { mode }, cb));
  }

  unlink(path: string): Promise<void> {
    return this.call('remove', path, (cb) => this.raw.unlink(path, cb));
  }

  fchmod(handle: Buffer, path: string, mode: number): Promise<void> {
    return this.call('set the mode of', path, (cb) => this.raw.fchmod(handle, mode, cb));
  }

  fchown(handle: Buffer, path: string, uid: number, gid: number): Promise<void> {
    return this.call('set the owner of', path, (cb) => this.raw.fchown(handle, uid, gid, cb));
  }

  /** Atomic replace (posix-rename@openssh.com): plain SFTP rename refuses an existing target. */
  posixRename(from: string, to: string): Promise<void> {
    if (!this.has('posix-rename@openssh.com')) return Promise.reject(unsupported('posix-rename@openssh.com', to));
    return this.call('replace', to, (cb) => this.raw.ext_openssh_rename(from, to, cb));
  }

  hardlink(target: string, link: string): Promise<void> {
    if (!this.has('hardlink@openssh.com')) return Promise.reject(unsupported('hardlink@openssh.com', link));
    return this.call('link', link, (cb) => this.raw.ext_openssh_hardlink(target, link, cb));
  }

  /** Flushes to disk when the server offers fsync@openssh.com; a no-op otherwise. */
  async fsync(handle: Buffer, path: string): Promise<void> {
    if (!this.has('fsync@openssh.com')) return;
    await this.call('flush', path, (cb) => this.raw.ext_openssh_fsync(handle, cb));
  }

  /** Bytes free to unprivileged users on the file system holding `path`, or undefined when the server cannot say. */
  async bytesFree(path: string): Promise<number | undefined> {
    if (this.gone || !this.has('statvfs@openssh.com')) return undefined;
    return new Promise((resolve) => {
      this.raw.ext_openssh_statvfs(path, (err, st: { f_bavail?: number; f_frsize?: number } | undefined) => {
        resolve(err || st?.f_bavail === undefined ? undefined : Number(st.f_bavail) * Number(st.f_frsize));
      });
    });
  }

  /** Owner and mode of a path (of its directory when it does not exist), for permission messages. */
  async ownerOf(path: string): Promise<FailureContext> {
    let at = path;
    let st = await this.stat(at).catch(() => undefined);
    if (!st && at !== '/') {
      at = posix.dirname(at);
      st = await this.stat(at).catch(() => undefined);
    }
    return {
      ...(st ? { owner: { path: at, uid: st.uid, gid: st.gid, mode: st.mode } } : {}),
      ...(this.loginUser ? { loginUser: this.loginUser } : {}),
    };
  }

  private has(ext: string): boolean {
    return (this.raw as unknown as { _extensions?: Record<string, string> })._extensions?.[ext] !== undefined;
  }

  private async call<T>(
    op: string,
    path: string,
    fn: (cb: (err: Error | undefined | null, v: T) => void) => void,
    ctx?: () => Promise<FailureContext>,
  ): Promise<T> {
    try {
      return await new Promise<T>((resolve, reject) => {
        if (this.gone) return reject(new Error('SFTP channel closed'));
        try {
          fn((err, v) => (err ? reject(err) : resolve(v)));
        } catch (err) {
          // ssh2 throws synchronously once the channel is gone.
          reject(err);
        }
      });
    } catch (err) {
      const denied = statusOf(err) === SFTP_STATUS.PERMISSION_DENIED;
      const context = ctx ?? (denied ? () => this.ownerOf(path) : undefined);
      throw fileError(err, op, path, context ? await context().catch(() => ({})) : {});
    }
  }
}

function unsupported(ext: string, path: string): DeckhandError {
  return new DeckhandError('sftp_unsupported', `Cannot change ${path}: the server's SFTP lacks ${ext}.`, {
    hint: 'deckhand needs OpenSSH sftp-server (or internal-sftp) to replace files atomically; use remote-bash instead.',
  });
}

/** Opens an SFTP channel on a connection. `loginUser` only colours permission messages. */
export function openSftp(client: Client, loginUser?: string): Promise<SftpSession> {
  return new Promise((resolve, reject) => {
    try {
      client.sftp((err, sftp) => {
        if (err) {
          reject(
            new DeckhandError('sftp_unavailable', `The server refused an SFTP session: ${err.message}.`, {
              hint: 'Enable the SFTP subsystem in sshd_config (Subsystem sftp internal-sftp, or the sftp-server path) and reload sshd.',
              cause: err,
            }),
          );
        } else {
          sftp.on('error', () => undefined);
          resolve(new SftpSession(sftp, client, loginUser));
        }
      });
    } catch (err) {
      reject(fileError(err, 'open an SFTP session on', 'the connection'));
    }
  });
}

/**
 * The session to work in: the caller's own (a pooled connection keeps one open, Lease.sftp(); it is left open), or
 * a fresh one on the client, closed by `done()`. Opening one costs a channel and an sftp-server process, about as
 * much as the file operation itself on a small file.
 */
export async function sessionFor(
  on: Client | SftpSession,
  loginUser?: string,
): Promise<{ sftp: SftpSession; done: () => void }> {
  if (on instanceof SftpSession) return { sftp: on, done: () => undefined };
  const sftp = await openSftp(on, loginUser);
  return { sftp, done: () => sftp.close() };
}
