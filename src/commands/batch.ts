import { setTimeout as sleep } from 'node:timers/promises';
import type { JobService } from '../jobs/index.js';
import { isTerminal, type Job } from '../jobs/index.js';
import { formatTime, jobDuration, oneLine, statusLabel, table } from './format.js';
import type { CliOutput } from './io.js';

/** A batch's children, failures first (as the tools list them), then by server. */
async function childrenOf(jobs: JobService, parentId: string): Promise<Job[]> {
  return (await jobs.children(parentId)).sort((a, b) =>
    (a.server ?? '').localeCompare(b.server ?? '', undefined, { numeric: true }),
  );
}

/** `deckhand jobs show BATCH`: the batch, then one row per server. */
export async function showBatch(jobs: JobService, io: CliOutput, batch: Job): Promise<void> {
  const kids = await childrenOf(jobs, batch.id);
  const counts = await jobs.countChildren(batch.id);
  const summary = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  const command = typeof batch.params.command === 'string' ? batch.params.command : '';
  await io.print(
    `${batch.id}  batch ${statusLabel(batch)}  ${kids.length} servers (${summary})\n` +
      `  command  ${oneLine(command, 200)}\n  created  ${formatTime(batch.created_at)}\n\n`,
  );
  const rows = kids.map((j) => [
    oneLine(j.server ?? '-', 32),
    statusLabel(j),
    j.exit_code === null ? '-' : String(j.exit_code),
    jobDuration(j),
    j.id,
    j.error && j.error.code !== 'exit_code' ? oneLine(`${j.error.code}: ${j.error.message}`, 80) : '',
  ]);
  await io.print(table(['SERVER', 'STATUS', 'EXIT', 'DURATION', 'JOB', 'ERROR'], rows));
}

/**
 * `deckhand jobs logs BATCH [-f]`: every child's lines prefixed with its server, like `kubectl logs -l`: each page of
 * each child in turn, then, following, whatever arrived since, until the batch ends.
 */
export async function batchLogs(
  jobs: JobService,
  io: CliOutput,
  batch: Job,
  o: { follow: boolean; stream?: 'stdout' | 'stderr' | undefined; grep?: RegExp | undefined; pollMs?: number },
): Promise<Job> {
  const cursors = new Map<string, number>();
  const width = { n: 0 };
  const drain = async () => {
    const kids = await childrenOf(jobs, batch.id);
    width.n = Math.max(width.n, ...kids.map((k) => (k.server ?? '').length));
    for (const k of kids) {
      let cursor = cursors.get(k.id) ?? 0;
      for (;;) {
        const r = await jobs.read(k.id, { cursor, limit: 1000, stream: o.stream ?? 'all', grep: o.grep });
        const prefix = `${oneLine(k.server ?? '-').padEnd(width.n)} | `;
        const text = r.lines
          .map((l) => `${prefix}${l.stream === 'system' ? `[deckhand] ${l.text}` : oneLine(l.text)}\n`)
          .join('');
        await io.print(text);
        cursor = r.next_cursor;
        if (!r.has_more || io.closed) break;
      }
      cursors.set(k.id, cursor);
    }
  };
  let current = batch;
  for (;;) {
    current = await jobs.get(batch.id);
    await drain();
    if (!o.follow || isTerminal(current.status) || io.closed) return current;
    await sleep(o.pollMs ?? 300);
  }
}
