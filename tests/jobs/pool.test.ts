import { describe, expect, it } from 'vitest';
import { poolText } from '../../src/commands/pool.js';
import { poolStatus } from '../../src/jobs/pool.js';
import type { InstanceInfo } from '../../src/jobs/store/contract.js';
import { createJob, startJob, type Job } from '../../src/jobs/types.js';

const NOW = Date.parse('2027-03-01T12:00:00.000Z');
const inst = (id: string, heartbeatAgo: number, max = 4): InstanceInfo => ({
  id,
  host: `host-${id}`,
  pid: 100,
  version: '1.0.0',
  started_at: NOW - 3_600_000,
  heartbeat_at: NOW - heartbeatAgo,
  max_jobs: max,
});
const queued = (server: string, priority = 1, ageMs = 0, notBefore?: number): Job => ({
  ...createJob({ type: 'remote-bash', server, params: {}, timeout_s: 60, priority }, new Date(NOW - ageMs)),
  ...(notBefore ? { not_before: new Date(notBefore).toISOString() } : {}),
});
const running = (server: string, owner: string): Job => ({
  ...startJob(queued(server), new Date(NOW - 1000)),
  owner: { instance: owner, host: `host-${owner}`, pid: 100 },
});

describe('the pool view', () => {
  const active = [
    running('web-1', 'a'),
    running('web-1', 'a'),
    running('web-2', 'b'),
    running('web-2', 'gone'),
    queued('web-1', 0, 5_000),
    queued('web-1', 1, 65_000),
    queued('web-3', 2, 1_000, NOW + 60_000),
    // A batch parent: running with no owner holds no slot and is no orphan.
    { ...startJob(queued('', 1), new Date(NOW)), server: null, owner: null },
  ];
  const p = poolStatus({
    instances: [inst('a', 2_000), inst('b', 20_000), inst('api', 1_000, 0)],
    active,
    now: NOW,
    ownerTimeoutMs: 15_000,
    maxPerServer: 2,
    self: 'a',
    store: { kind: 'postgres', location: 'db:5432/deckhand' },
  });

  it('counts slots per instance, running per server against the limit, and the queue by priority', () => {
    expect(p.instances.map((i) => [i.id, i.alive, i.self, i.slots_used, i.slots_max])).toEqual([
      ['a', true, true, 2, 4],
      ['b', false, false, 1, 4],
      ['api', true, false, 0, 0],
    ]);
    expect(p.instances[0]!.running).toHaveLength(2);
    expect(p.servers).toEqual([
      { server: 'web-1', running: 2, limit: 2, queued: 2 },
      { server: 'web-2', running: 2, limit: 2, queued: 0 },
      { server: 'web-3', running: 0, limit: 2, queued: 1 },
    ]);
    expect(p.queue).toEqual({
      depth: 3,
      by_priority: { high: 1, normal: 1, low: 1 },
      delayed: 1,
      oldest_queued_at: new Date(NOW - 65_000).toISOString(),
      oldest_age_s: 65,
    });
  });

  it('lists the jobs of dead or vanished owners with when they are taken over at the latest', () => {
    expect(p.orphaned.map((o) => [o.owner?.instance, o.take_over_by])).toEqual([
      ['b', new Date(NOW - 20_000 + 15_000).toISOString()],
      ['gone', new Date(NOW).toISOString()],
    ]);
  });

  it('reads well in a terminal', () => {
    const text = poolText(p);
    expect(text).toContain('Job system: PostgreSQL db:5432/deckhand');
    expect(text).toContain('Instances: 2 alive, 1 not heartbeating');
    expect(text).toMatch(/^a \(this\)\s+host-a\s+100\s+1\.0\.0 .* alive\s+2\/4\s+job_/m);
    expect(text).toMatch(/^api\s.*serves only/m);
    expect(text).toMatch(/^web-1\s+2\/2\s+2$/m);
    expect(text).toContain('Queue: 3 queued (high 1, normal 1, low 1; 1 not due yet), oldest queued 1m05s ago');
    expect(text).toMatch(/owner b on host-b pid 100; taken over any moment now/);
    const empty = poolText(
      poolStatus({
        instances: [],
        active: [],
        now: NOW,
        ownerTimeoutMs: 15_000,
        maxPerServer: 4,
        self: undefined,
        store: { kind: 'sqlite', location: '/h/deckhand.db' },
      }),
    );
    expect(empty).toContain('none: no deckhand executes jobs now');
    expect(empty).toContain('Queue: empty');
  });
});
