import type { InstanceInfo } from './store/contract.js';
import type { Job } from './types.js';

/** How many running job ids one instance lists (the count is always whole). */
const LISTED_RUNNING = 20;

/** One deckhand instance sharing the job system, as a person checking who runs what sees it. */
export interface PoolInstance {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly version: string;
  readonly started_at: string;
  readonly heartbeat_at: string;
  /** Heartbeat within DECKHAND_OWNER_TIMEOUT_S. A dead instance's jobs are taken over by a live one. */
  readonly alive: boolean;
  /** The instance answering (a CLI command reading the pool is not one). */
  readonly self: boolean;
  /** Its DECKHAND_MAX_JOBS (0: serves clients, runs nothing). */
  readonly slots_max: number;
  readonly slots_used: number;
  /** Ids of the jobs it runs, oldest first, at most 20 (slots_used counts them all). */
  readonly running: readonly string[];
}

export interface PoolServer {
  readonly server: string;
  readonly running: number;
  /** DECKHAND_MAX_JOBS_PER_SERVER as this instance has it (every instance should have the same). */
  readonly limit: number;
  readonly queued: number;
}

/** A running job whose owner stopped heartbeating or left: an executing instance takes it over and reattaches. */
export interface OrphanedJob {
  readonly job_id: string;
  readonly server: string | null;
  readonly owner: { readonly instance: string; readonly host: string; readonly pid: number } | null;
  /** When a live instance takes it over at the latest (the owner's last heartbeat plus the timeout). */
  readonly take_over_by: string;
}

export interface PoolStatus {
  readonly store: { readonly kind: 'sqlite' | 'postgres'; readonly location: string };
  readonly owner_timeout_s: number;
  readonly instances: readonly PoolInstance[];
  readonly servers: readonly PoolServer[];
  readonly queue: {
    readonly depth: number;
    readonly by_priority: { readonly high: number; readonly normal: number; readonly low: number };
    /** Queued jobs not yet due (not_before in the future). */
    readonly delayed: number;
    readonly oldest_queued_at: string | null;
    readonly oldest_age_s: number | null;
  };
  /** Running jobs whose owner is gone. */
  readonly orphaned: readonly OrphanedJob[];
  readonly at: string;
}

export interface PoolInputs {
  readonly instances: readonly InstanceInfo[];
  /** Queued and running jobs (JobStore.active). */
  readonly active: readonly Job[];
  readonly now: number;
  readonly ownerTimeoutMs: number;
  readonly maxPerServer: number;
  readonly self: string | undefined;
  readonly store: PoolStatus['store'];
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The pool as one snapshot, from the instance rows and the active jobs (pure: the service reads, this counts).
 * A batch parent is 'running' with no owner: it holds no slot and is not an orphan.
 */
export function poolStatus(p: PoolInputs): PoolStatus {
  const staleBefore = p.now - p.ownerTimeoutMs;
  const running = p.active.filter((j) => j.status === 'running' && j.owner);
  const queued = p.active.filter((j) => j.status === 'queued');
  const byOwner = new Map<string, Job[]>();
  for (const j of running) byOwner.set(j.owner!.instance, [...(byOwner.get(j.owner!.instance) ?? []), j]);
  const instances = p.instances.map((i): PoolInstance => {
    const mine = (byOwner.get(i.id) ?? []).sort((a, b) => a.id.localeCompare(b.id));
    return {
      id: i.id,
      host: i.host,
      pid: i.pid,
      version: i.version,
      started_at: iso(i.started_at),
      heartbeat_at: iso(i.heartbeat_at),
      alive: i.heartbeat_at >= staleBefore,
      self: i.id === p.self,
      slots_max: i.max_jobs,
      slots_used: mine.length,
      running: mine.slice(0, LISTED_RUNNING).map((j) => j.id),
    };
  });
  const rows = new Map(p.instances.map((i) => [i.id, i]));
  const orphaned = running
    .filter((j) => {
      const row = rows.get(j.owner!.instance);
      return !row || row.heartbeat_at < staleBefore;
    })
    .map((j): OrphanedJob => {
      const row = rows.get(j.owner!.instance);
      // Without a row (the owner left or was removed) the next look of an executing instance takes it: about now.
      return {
        job_id: j.id,
        server: j.server,
        owner: j.owner,
        take_over_by: iso(row ? row.heartbeat_at + p.ownerTimeoutMs : p.now),
      };
    });
  const servers = new Map<string, { running: number; queued: number }>();
  const count = (server: string | null, key: 'running' | 'queued') => {
    if (!server) return;
    const s = servers.get(server) ?? { running: 0, queued: 0 };
    s[key] += 1;
    servers.set(server, s);
  };
  running.forEach((j) => count(j.server, 'running'));
  queued.forEach((j) => count(j.server, 'queued'));
  const oldest = queued.reduce<number | null>((m, j) => {
    const t = Date.parse(j.created_at);
    return m === null || t < m ? t : m;
  }, null);
  return {
    store: p.store,
    owner_timeout_s: Math.round(p.ownerTimeoutMs / 1000),
    instances,
    servers: [...servers.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([server, c]) => ({ server, running: c.running, limit: p.maxPerServer, queued: c.queued })),
    queue: {
      depth: queued.length,
      by_priority: {
        high: queued.filter((j) => j.priority <= 0).length,
        normal: queued.filter((j) => j.priority === 1).length,
        low: queued.filter((j) => j.priority >= 2).length,
      },
      delayed: queued.filter((j) => j.not_before !== null && Date.parse(j.not_before) > p.now).length,
      oldest_queued_at: oldest === null ? null : iso(oldest),
      oldest_age_s: oldest === null ? null : Math.max(0, Math.round((p.now - oldest) / 1000)),
    },
    orphaned,
    at: iso(p.now),
  };
}
