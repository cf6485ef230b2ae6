import fs from 'node:fs';
import type { DecodedLine } from './format.js';
import { ENTRY_BYTES, indexPath } from './records.js';
import { IndexedSegment } from './segment-index.js';
import { fileSize, lastLine } from './segments.js';

/**
 * Makes a segment whole again after a crash: a torn index entry goes, then every .log byte that no entry covers
 * (a record written but not indexed; its lines are fetched again from the remote offsets). Returns the newest line
 * left. A segment without an index (a crash between creating the two files) holds nothing anyone can read: emptied.
 */
export function recoverSegment(file: string): DecodedLine | undefined {
  const index = indexPath(file);
  if (!fs.existsSync(index)) {
    if (fileSize(file) > 0) fs.truncateSync(file, 0);
    return undefined;
  }
  const seg = IndexedSegment.open(file, index);
  if (!seg) return undefined;
  let keep: number;
  try {
    const last = seg.last();
    keep = last ? last.start + last.bytes : 0;
    fs.truncateSync(index, seg.entries * ENTRY_BYTES);
  } finally {
    seg.close();
  }
  if (fileSize(file) > keep) fs.truncateSync(file, keep);
  return lastLine(file);
}
