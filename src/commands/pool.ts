import type { PoolStatus } from '../jobs/index.js';
import { parseCommand } from './args.js';
import { formatDuration, formatTime, oneLine, table } from './format.js';
import type { CliContext } from './table.js';

export const POOL_USAGE = 'deckhand pool [--json]';

/** Who runs what: the instances sharing the job system, their slots, the servers' counts and the queue. */
export async function pool(args: string[], { jobs, io }: CliContext): Promise<number> {
  const { values } = parseCommand(args, { json: { type: 'boolean' } }, POOL_USAGE, 0);
  const p = await jobs.pool();
  await io.print(values.json ? `${JSON.stringify(p, null, 2)}\n` : poolText(p));
  return 0;
}

/** The pool for a terminal: four short blocks, each saying when it is empty. */
export function poolText(p: PoolStatus): string {
  const now = Date.parse(p.at);
  const ago = (iso: string) => `${formatDuration(now - Date.parse(iso))} ago`;
  const where = p.store.kind === 'postgres' ? `PostgreSQL ${p.store.location}` : `SQLite ${p.store.location}`;
  const alive = p.instances.filter((i) => i.alive).length;
  const out: string[] = [
    `Job system: ${where}; an instance silent for ${p.owner_timeout_s} s loses its jobs to another.`,
    '',
    `Instances: ${alive} alive${p.instances.length > alive ? `, ${p.instances.length - alive} not heartbeating` : ''}`,
  ];
  if (p.instances.length === 0) out.push('  none: no deckhand executes jobs now (queued jobs wait for one to start)');
  else
    out.push(
      table(
        ['INSTANCE', 'HOST', 'PID', 'VERSION', 'STARTED', 'HEARTBEAT', 'STATE', 'SLOTS', 'RUNNING'],
        p.instances.map((i) => [
          i.self ? `${i.id} (this)` : i.id,
          oneLine(i.host, 32),
          String(i.pid),
          oneLine(i.version, 16),
          formatTime(i.started_at),
          ago(i.heartbeat_at),
          i.alive ? 'alive' : 'dead',
          i.slots_max === 0 ? 'serves only' : `${i.slots_used}/${i.slots_max}`,
          i.running.join(' ') + (i.slots_used > i.running.length ? ` …+${i.slots_used - i.running.length}` : ''),
        ]),
      ).trimEnd(),
    );
  out.push('', 'Servers:');
  if (p.servers.length === 0) out.push('  no job running or queued on any server');
  else
    out.push(
      table(
        ['SERVER', 'RUNNING', 'QUEUED'],
        p.servers.map((s) => [oneLine(s.server, 40), `${s.running}/${s.limit}`, String(s.queued)]),
      ).trimEnd(),
    );
  const q = p.queue;
  out.push(
    '',
    q.depth === 0
      ? 'Queue: empty'
      : `Queue: ${q.depth} queued (high ${q.by_priority.high}, normal ${q.by_priority.normal}, low ${q.by_priority.low}` +
          `${q.delayed ? `; ${q.delayed} not due yet` : ''}), oldest queued ${ago(q.oldest_queued_at!)}`,
  );
  if (p.orphaned.length) {
    out.push('', 'Jobs of instances that stopped heartbeating (a live instance reattaches to them):');
    for (const o of p.orphaned) {
      const owner = o.owner ? `${o.owner.instance} on ${oneLine(o.owner.host, 32)} pid ${o.owner.pid}` : 'unknown';
      const by = Date.parse(o.take_over_by) <= now ? 'any moment now' : `by ${formatTime(o.take_over_by)}`;
      out.push(`  ${o.job_id} on ${oneLine(o.server ?? '-', 40)}: owner ${owner}; taken over ${by}`);
    }
  }
  return `${out.join('\n')}\n`;
}
