import fs from 'node:fs';
import path from 'node:path';
import type { Job } from './types.js';
import { readWholeLines } from './whole-lines.js';

/** A rewritten copy of the archive waiting to replace it: everything up to `upTo` of the file with `ino` is in it. */
export interface CompactPlan {
  readonly tmp: string;
  readonly ino: number;
  readonly upTo: number;
  readonly dropped: number;
  readonly kept: number;
}

/**
 * Copies the archive's whole lines to a temporary file, leaving out the records `keep` rejects and lines that do not
 * parse. Needs no lock: appends only extend the file, and `commitCompaction` (under the store lock) adds whatever
 * came after `upTo`. Reads a chunk at a time, so memory stays flat whatever the archive's size.
 */
export async function prepareCompaction(file: string, keep: (job: Job) => boolean): Promise<CompactPlan | undefined> {
  let src: fs.promises.FileHandle;
  try {
    src = await fs.promises.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const tmp = `${file}.${process.pid}.compact.tmp`;
  let dst: fs.promises.FileHandle | undefined;
  try {
    const st = await src.stat();
    dst = await fs.promises.open(tmp, 'w', 0o600);
    let dropped = 0;
    let kept = 0;
    const out = dst;
    const upTo = await readWholeLines(src, 0, st.size, async (buf, end) => {
      const keptLines: Buffer[] = [];
      for (let start = 0; start <= end;) {
        const nl = buf.indexOf(0x0a, start);
        if (nl > start) {
          const job = parse(buf.toString('utf8', start, nl));
          if (job && keep(job)) {
            keptLines.push(buf.subarray(start, nl + 1));
            kept++;
          } else dropped++;
        }
        start = nl + 1;
      }
      if (keptLines.length) await out.write(Buffer.concat(keptLines));
    });
    await dst.sync();
    await dst.close();
    dst = undefined;
    if (dropped === 0) {
      await fs.promises.rm(tmp, { force: true });
      return undefined;
    }
    return { tmp, ino: st.ino, upTo, dropped, kept };
  } catch (err) {
    await dst?.close().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true });
    throw err;
  } finally {
    await src.close();
  }
}

/**
 * Puts the compacted copy in place of the archive, with the bytes appended since it was made. Synchronous, to run
 * under the store lock that appends take too: nothing can be appended between the copy of the tail and the rename.
 * Readers notice the new inode and index the file again; a reader holding the old file reads the old file to its end.
 */
export function commitCompaction(file: string, plan: CompactPlan): boolean {
  let fd: number | undefined;
  try {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    // Replaced meanwhile (another process compacted it, or a person moved it aside): this copy is stale.
    if (!st || st.ino !== plan.ino || st.size < plan.upTo) {
      fs.rmSync(plan.tmp, { force: true });
      return false;
    }
    fd = fs.openSync(plan.tmp, 'a');
    if (st.size > plan.upTo) {
      const tail = Buffer.alloc(st.size - plan.upTo);
      const src = fs.openSync(file, 'r');
      try {
        fs.readSync(src, tail, 0, tail.length, plan.upTo);
      } finally {
        fs.closeSync(src);
      }
      fs.writeSync(fd, tail);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(plan.tmp, file);
    syncDir(path.dirname(file));
    return true;
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(plan.tmp, { force: true });
    throw err;
  }
}

function parse(text: string): Job | undefined {
  try {
    const j = JSON.parse(text) as Job;
    return typeof j === 'object' && j !== null && typeof j.id === 'string' ? j : undefined;
  } catch {
    return undefined;
  }
}

function syncDir(dir: string): void {
  // The rename is durable once the directory is; some filesystems refuse fsync on a directory, which loses nothing.
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // see above
  }
}
