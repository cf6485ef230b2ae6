import fs from 'node:fs/promises';
import path from 'node:path';
import { DeckhandError } from '../errors.js';

/**
 * Where a transfer may read or write on deckhand's own machine: inside `root` (DECKHAND_FILES_ROOT), judged on
 * real paths, so neither `..` nor a symlink leads out of it. The path need not exist yet (a download creates it);
 * its deepest existing ancestor is resolved instead. Returns the real path to use.
 *
 * What this cannot stop: a symlink swapped in between this check and the open by someone who can write inside
 * root. Whoever can do that already controls the files there.
 */
export async function confineLocalPath(root: string | undefined, p: string): Promise<string> {
  if (!root) {
    throw new DeckhandError('files_root_unset', 'Local file transfers are off: DECKHAND_FILES_ROOT is not set.', {
      hint: "Set DECKHAND_FILES_ROOT in deckhand's environment to the one directory transfers may read from and write to.",
    });
  }
  if (p.includes('\u0000')) throw outside(p, root, 'it contains a NUL character');
  const realRoot = await fs.realpath(root).catch((cause: unknown) => {
    throw new DeckhandError('files_root_missing', `DECKHAND_FILES_ROOT (${root}) does not exist or cannot be read.`, {
      hint: 'Create that directory, or point DECKHAND_FILES_ROOT at one that exists.',
      cause,
    });
  });
  const lexical = path.resolve(realRoot, p);
  if (!within(realRoot, lexical)) throw outside(p, root, '".." or an absolute path leads out of it');
  const real = await realpathAllowMissing(lexical);
  if (!within(realRoot, real)) throw outside(p, root, `a symlink leads out of it (to ${real})`);
  return real;
}

function within(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** realpath of the deepest existing ancestor, with the missing rest appended. */
async function realpathAllowMissing(p: string, hops = 0): Promise<string> {
  const rest: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return path.join(await fs.realpath(cur), ...rest);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A dangling symlink is ENOENT too: its target is judged by resolving the link text itself.
      const link = await fs.readlink(cur).catch(() => undefined);
      if (link !== undefined && hops < 40) {
        return realpathAllowMissing(path.join(path.resolve(path.dirname(cur), link), ...rest), hops + 1);
      }
      if (code !== 'ENOENT' || path.dirname(cur) === cur) throw err;
      rest.unshift(path.basename(cur));
      cur = path.dirname(cur);
    }
  }
}

function outside(p: string, root: string, why: string): DeckhandError {
  return new DeckhandError('path_outside_files_root', `${p} is outside DECKHAND_FILES_ROOT (${root}): ${why}.`, {
    hint: 'Give a path inside DECKHAND_FILES_ROOT (relative paths are taken from it); symlinks out of it are refused.',
  });
}
