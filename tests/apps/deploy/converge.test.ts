import { describe, expect, it } from 'vitest';
import {
  judgeService,
  parseStackState,
  snapshot,
  type ServiceState,
  type TaskState,
} from '../../../src/apps/deploy/converge.js';
import { healthyNow } from '../../../src/apps/deploy/stack-status.js';

const T0 = 1_800_000_000; // server clock at `docker stack deploy`
const iso = (s: number) => new Date(s * 1000).toISOString().replace('Z', '123456Z'); // docker's nanosecond times

function svc(over: Partial<ServiceState> = {}): ServiceState {
  return { id: 's1', name: 'app_web', version: 20, replicas: 1, image: 'x:1', update: null, ...over };
}
function task(over: Partial<TaskState> = {}): TaskState {
  return {
    id: `t${Math.random()}`,
    service: 's1',
    created: iso(T0 + 1),
    desired: 'running',
    state: 'running',
    err: '',
    message: 'started',
    exit: null,
    ...over,
  };
}
const opts = { deployedAt: T0, updateGraceS: 5, maxFailedTasks: 2 };
const before = { version: 10, updateStartedAt: '2026-01-01T00:00:00Z' };

describe('judgeService', () => {
  it('waits while an update this deploy started runs, and fails when Swarm rolls it back or pauses it', () => {
    const started = '2026-02-02T00:00:00Z';
    const updating = svc({ update: { State: 'updating', StartedAt: started } });
    expect(judgeService(updating, [task()], before, T0 + 3, opts).verdict).toBe('pending');
    for (const State of ['rollback_started', 'rollback_completed', 'paused', 'rollback_paused']) {
      const v = judgeService(
        svc({ update: { State, StartedAt: started, Message: 'update rolled back due to failure' } }),
        [
          task({ state: 'failed', err: 'task: non-zero exit (137): dockerexec: unhealthy container', exit: 137 }),
          task(),
        ],
        before,
        T0 + 30,
        opts,
      );
      expect(v.verdict, State).toBe('failed');
      expect(v.detail).toMatch(/update rolled back due to failure/);
      expect(v.taskErrors[0]).toBe('failed: task: non-zero exit (137): dockerexec: unhealthy container (exit 137)');
    }
    const done = svc({ update: { State: 'completed', StartedAt: started } });
    expect(judgeService(done, [task()], before, T0 + 20, opts).verdict).toBe('converged');
  });

  it('ignores the rollback of an earlier deploy', () => {
    const stale = svc({ update: { State: 'rollback_completed', StartedAt: before.updateStartedAt } });
    expect(judgeService(stale, [task()], { ...before, version: 20 }, T0 + 1, opts).verdict).toBe('converged');
  });

  it('waits for every replica, and for tasks that are still starting (health check pending)', () => {
    const two = svc({ replicas: 2 });
    expect(judgeService(two, [task()], undefined, T0 + 5, opts)).toMatchObject({
      verdict: 'pending',
      detail: '1/2 tasks running',
    });
    expect(judgeService(two, [task(), task({ state: 'starting' })], undefined, T0 + 5, opts).verdict).toBe('pending');
    expect(judgeService(two, [task(), task()], undefined, T0 + 5, opts).verdict).toBe('converged');
    // Tasks of other services and tasks being shut down do not count.
    const other = [task(), task({ service: 's2' }), task({ desired: 'shutdown', state: 'shutdown' })];
    expect(judgeService(svc(), other, undefined, T0 + 5, opts).verdict).toBe('converged');
  });

  it('fails a new service whose tasks keep failing (no update to roll back), counting only tasks of this deploy', () => {
    const failed = (s: number) =>
      task({ state: 'failed', err: 'task: non-zero exit (1)', exit: 1, created: iso(T0 + s), desired: 'shutdown' });
    const pending = [failed(2), task({ state: 'starting', created: iso(T0 + 9) })];
    expect(judgeService(svc(), pending, undefined, T0 + 10, opts).verdict).toBe('pending');
    const v = judgeService(svc(), [...pending, failed(6)], undefined, T0 + 12, opts);
    expect(v).toMatchObject({ verdict: 'failed', detail: '2 new tasks failed and 0/1 run' });
    expect(v.taskErrors).toHaveLength(2);
    const old = [
      task({ state: 'rejected', created: iso(T0 - 100), desired: 'shutdown' }),
      task({ state: 'rejected', created: iso(T0 - 90), desired: 'shutdown' }),
    ];
    expect(judgeService(svc(), [...old, task({ state: 'starting' })], undefined, T0 + 3, opts).verdict).toBe('pending');
  });

  it('gives a changed service whose tasks need no update (e.g. only its labels changed) a grace period', () => {
    const s = svc({ version: 21 });
    expect(judgeService(s, [task()], before, T0 + 2, opts)).toMatchObject({
      verdict: 'pending',
      detail: 'waiting for the update to start',
    });
    expect(judgeService(s, [task()], before, T0 + 6, opts).verdict).toBe('converged');
  });
});

describe('parseStackState', () => {
  it('reads the sections of stackStatusScript and skips what is not JSON', () => {
    const out = [
      '@@services',
      JSON.stringify(svc()),
      'WARNING: something docker says',
      '@@tasks',
      JSON.stringify(task({ id: 't1' })),
      `@@now ${T0 + 7}`,
      '',
    ].join('\n');
    const s = parseStackState(out);
    expect(s.services.map((x) => x.name)).toEqual(['app_web']);
    expect(s.tasks.map((x) => x.id)).toEqual(['t1']);
    expect(s.now).toBe(T0 + 7);
    expect(snapshot(s).get('app_web')).toEqual({ version: 20, updateStartedAt: undefined });
  });

  it('calls a stack healthy only when every named service runs all replicas and none is moving', () => {
    const state = { services: [svc()], tasks: [task()], now: T0 };
    expect(healthyNow(state, ['app_web'])).toBe(true);
    expect(healthyNow(state, ['app_web', 'app_db'])).toBe(false);
    expect(
      healthyNow({ ...state, services: [svc({ update: { State: 'updating', StartedAt: 'x' } })] }, ['app_web']),
    ).toBe(false);
    expect(healthyNow({ ...state, tasks: [task({ state: 'starting' })] }, ['app_web'])).toBe(false);
  });
});
