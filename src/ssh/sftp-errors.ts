import { DeckhandError } from '../errors.js';

/** SFTP v3 status codes (draft-ietf-secsh-filexfer-02); OpenSSH's sftp-server maps every other errno to FAILURE. */
export const SFTP_STATUS = { EOF: 1, NO_SUCH_FILE: 2, PERMISSION_DENIED: 3, FAILURE: 4, OP_UNSUPPORTED: 8 } as const;

/** What the caller learnt around a failure, so the message can say why (owner and mode, free space). */
export interface FailureContext {
  /** The path's (or, when it does not exist, its directory's) owner and mode. */
  readonly owner?: { readonly path: string; readonly uid: number; readonly gid: number; readonly mode: number };
  /** The login user, to contrast with the owner. */
  readonly loginUser?: string;
  /** Bytes free for unprivileged users on the target file system, when the server could say. */
  readonly bytesFree?: number;
  /** Bytes the operation needed there. */
  readonly bytesNeeded?: number;
}

export function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
}

/** Turns an SFTP failure into an error that names the path, the cause and what to do. */
export function fileError(err: unknown, op: string, path: string, ctx: FailureContext = {}): DeckhandError {
  // An error SftpSession already classified is classified again from its SFTP cause, with the caller's words.
  if (err instanceof DeckhandError) {
    if (statusOf(err.cause) === undefined) return err;
    err = err.cause;
  }
  const status = statusOf(err);
  const message = (err as Error | undefined)?.message ?? String(err);
  if ((err as Error | undefined)?.name === 'AbortError') {
    return new DeckhandError('cancelled', `Stopped before finishing to ${op} ${path}: cancelled.`, {
      hint: 'Nothing half-done replaced the destination; a transfer run again resumes from where this one stopped.',
      cause: err,
    });
  }
  if (status === SFTP_STATUS.NO_SUCH_FILE) {
    return new DeckhandError('file_not_found', `Cannot ${op} ${path}: no such file or directory.`, {
      hint: 'Check the path (read-file on the parent directory lists what is there); to write into a directory that does not exist yet, pass create_dirs: true.',
      cause: err,
    });
  }
  if (status === SFTP_STATUS.PERMISSION_DENIED) {
    const o = ctx.owner;
    const who = o ? ` ${o.path} is owned by uid ${o.uid} (gid ${o.gid}) with mode ${octal(o.mode)}` : '';
    const login = ctx.loginUser ? `; deckhand logs in as "${ctx.loginUser}"` : '';
    return new DeckhandError('permission_denied', `Cannot ${op} ${path}: permission denied.${who}${login}.`, {
      hint: 'Register the server with a login that may do this (its owner, or root), or change the ownership or mode on the server.',
      cause: err,
    });
  }
  if (ctx.bytesFree !== undefined && ctx.bytesNeeded !== undefined && ctx.bytesFree < ctx.bytesNeeded) {
    return new DeckhandError(
      'no_space_left',
      `Cannot ${op} ${path}: no space left on the device (${ctx.bytesFree} bytes free, ${ctx.bytesNeeded} needed).`,
      {
        hint: 'Free space on that file system (remote-bash: df -h; du -sh /var/log/* ...), then try again.',
        cause: err,
      },
    );
  }
  if (status === SFTP_STATUS.OP_UNSUPPORTED) {
    return new DeckhandError('sftp_unsupported', `Cannot ${op} ${path}: the server's SFTP does not support it.`, {
      hint: 'deckhand needs OpenSSH sftp-server (or internal-sftp) for this; use remote-bash instead.',
      cause: err,
    });
  }
  if (status === undefined && /no response|not connected|closed|ended|ECONNRESET|EPIPE/i.test(message)) {
    return new DeckhandError('connection_lost', `The connection dropped while trying to ${op} ${path}.`, {
      hint: 'Try again; a transfer resumes from the bytes already there.',
      cause: err,
    });
  }
  return new DeckhandError('file_error', `Cannot ${op} ${path}: ${message}.`, {
    hint: 'Check the path on the server (remote-bash: ls -ld, df -h) and try again.',
    cause: err,
  });
}

export function notRegularFile(path: string, kind: string): DeckhandError {
  return new DeckhandError('not_a_regular_file', `${path} is a ${kind}, not a regular file.`, {
    hint:
      kind === 'directory'
        ? 'Give a file path inside it (read-file on the directory lists its entries).'
        : 'deckhand reads and writes regular files only; use remote-bash for devices, sockets and FIFOs.',
  });
}
