import fs from 'node:fs';
import path from 'node:path';
import { formatBytes, formatCount } from '../../format.js';
import type { LogRemoval } from '../store/contract.js';

export type { LogRemoval };

export const REMOVAL_FILE = 'removed.json';

/** The removal record in a job's directory, if its log was removed. */
export function readRemoval(dir: string): LogRemoval | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, REMOVAL_FILE), 'utf8')) as LogRemoval;
  } catch {
    return undefined;
  }
}

export async function writeRemoval(dir: string, removal: LogRemoval): Promise<void> {
  const file = path.join(dir, REMOVAL_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.promises.writeFile(tmp, JSON.stringify(removal), { mode: 0o600 });
  await fs.promises.rename(tmp, file);
}

/** One sentence for people: what the log held, when it went and why. */
export function removalText(r: LogRemoval): string {
  return (
    `The log (${formatCount(r.total_lines)} lines, ${formatBytes(r.log_bytes)}) was removed on ${r.removed_at}: ` +
    `${r.reason}. The job record is kept.`
  );
}

/**
 * The tombstone first, then the segments: a crash in between leaves a removal the next sweep completes. Other files
 * of the job's directory (the job's own files) are not the log's to remove.
 */
export async function dropLog(dir: string, removal: LogRemoval): Promise<void> {
  await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
  await writeRemoval(dir, removal);
  for (const name of await fs.promises.readdir(dir)) {
    if (/^(head|tail-\d+)\.(log|idx)$/.test(name)) await fs.promises.rm(path.join(dir, name), { force: true });
  }
}
