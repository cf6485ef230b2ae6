import fs from 'node:fs';
import path from 'node:path';
import { formatBytes, formatCount } from '../format.js';

/** What is left of a job log once retention removed it: enough to say so, and how much there was. */
export interface LogRemoval {
  readonly removed_at: string;
  readonly reason: string;
  readonly total_lines: number;
  readonly log_bytes: number;
}

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
