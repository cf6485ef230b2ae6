import type fs from 'node:fs';

/** How much of a file one read takes: bounds memory whatever the file's size. */
const CHUNK = 1024 * 1024;

/**
 * Reads bytes [from, to) of a line-per-record file a chunk at a time and hands each chunk's whole lines to `visit`:
 * bytes [0, end] of `buf` (`end` is the last newline) are complete lines that start at file offset `base`. A line
 * longer than the buffer is read again with room for it; a torn last line is left for a later look. Answers the
 * offset just past the last whole line visited.
 */
export async function readWholeLines(
  fh: fs.promises.FileHandle,
  from: number,
  to: number,
  visit: (buf: Buffer, end: number, base: number) => void | Promise<void>,
): Promise<number> {
  let pos = from;
  let buf = Buffer.alloc(Math.min(CHUNK, Math.max(0, to - from)));
  while (pos < to) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, to - pos), pos);
    if (bytesRead === 0) break;
    const end = buf.lastIndexOf(0x0a, bytesRead - 1);
    if (end < 0) {
      if (bytesRead < buf.length) break;
      buf = Buffer.alloc(buf.length * 2);
      continue;
    }
    await visit(buf, end, pos);
    pos += end + 1;
  }
  return pos;
}
