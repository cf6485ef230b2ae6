import fs from 'node:fs/promises';
import { posix } from 'node:path';
import { DeckhandError } from '../errors.js';
import type { SftpSession } from '../ssh/sftp.js';

/** Where a write would land on the server, as policy must judge it before anything is written. */
export interface RemoteWriteSite {
  /** The path as given, normalised. */
  readonly path: string;
  /** Where the bytes land: symlinks on the way resolved by the server. Equal to `path` when nothing was resolved. */
  readonly target: string;
  /** A file is there already (the write replaces it). */
  readonly exists: boolean;
}

/**
 * write-file writes through a symlink (its target is replaced) and any write follows symlinked directories, so
 * `/srv/app/conf` may land in /etc. The server resolves the path: the whole of it when `throughLink` (write-file), or
 * only its directory (an upload renames its copy over the path, replacing a symlink there rather than writing
 * through it). A path that does not exist yet is resolved from its deepest existing ancestor.
 */
export async function remoteWriteSite(sftp: SftpSession, path: string, throughLink: boolean): Promise<RemoteWriteSite> {
  const given = posix.normalize(path);
  const target = throughLink
    ? await resolveAllowMissing(sftp, given)
    : posix.join(await resolveAllowMissing(sftp, posix.dirname(given)), posix.basename(given));
  const st = throughLink ? await sftp.statOrUndefined(target) : await lstatOrUndefined(sftp, given);
  return { path: given, target, exists: st !== undefined };
}

async function resolveAllowMissing(sftp: SftpSession, path: string): Promise<string> {
  const rest: string[] = [];
  let cur = path;
  for (;;) {
    try {
      return posix.join(await sftp.realpath(cur), ...rest);
    } catch (err) {
      if (!(err instanceof DeckhandError) || err.code !== 'file_not_found' || cur === '/') throw err;
      rest.unshift(posix.basename(cur));
      cur = posix.dirname(cur);
    }
  }
}

async function lstatOrUndefined(sftp: SftpSession, path: string) {
  try {
    return await sftp.lstat(path);
  } catch (err) {
    if (err instanceof DeckhandError && err.code === 'file_not_found') return undefined;
    throw err;
  }
}

/** Whether a download would replace a file on deckhand's machine (the path is already confined). */
export async function localExists(path: string): Promise<boolean> {
  return fs.lstat(path).then(
    () => true,
    () => false,
  );
}
