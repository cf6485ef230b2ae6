import { describe, expect, it } from 'vitest';
import type { JobProgress } from '../../../src/jobs/types.js';
import {
  judgeService,
  parseStackState,
  snapshot,
  type ServiceState,
  type ServiceVerdict,
} from '../../../src/apps/deploy/converge.js';
import type { TaskState } from '../../../src/apps/deploy/blocked-tasks.js';
import { healthyNow } from '../../../src/apps/deploy/stack-status.js';
import { convergeMessage, stackProgress, waitPhase } from '../../../src/apps/deploy/deploy-progress.js';

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

describe('tasks that cannot run', () => {
  const started = '2026-02-02T00:00:00Z';
  const updating = svc({ update: { State: 'updating', StartedAt: started } });
  const portTaken = 'no suitable node (host-mode port already in use on 1 node)';

  it("fails an update whose new task waits for a node, with the scheduler's words, once the grace has passed", () => {
    const tasks = [
      task({ state: 'pending', err: portTaken, message: 'pending task scheduling', created: iso(T0 + 2) }),
      task({ created: iso(T0 - 600) }), // the old release still runs
    ];
    expect(judgeService(updating, tasks, before, T0 + 15, opts)).toMatchObject({ verdict: 'pending' });
    const v = judgeService(updating, tasks, before, T0 + 23, opts);
    expect(v).toMatchObject({
      verdict: 'failed',
      unschedulable: true,
      detail: `a new task cannot be scheduled: ${portTaken}, for 21 s`,
      taskErrors: [`pending: ${portTaken}`],
    });
    for (const err of [
      'no suitable node (insufficient resources on 1 node)',
      'no suitable node (scheduling constraints not satisfied on 1 node)',
    ]) {
      const fresh = svc();
      const pending = [task({ state: 'pending', err, created: iso(T0 + 1) })];
      expect(judgeService(fresh, pending, undefined, T0 + 25, opts).detail).toContain(err);
    }
    expect(judgeService(updating, tasks, before, T0 + 23, { ...opts, blockedGraceS: 60 }).verdict).toBe('pending');
  });

  it('fails at once on a task whose image is missing or cannot be pulled, saying what to do', () => {
    const missing = task({
      state: 'rejected',
      desired: 'ready',
      err: 'No such image: local/missing:9',
      created: iso(T0 + 1),
    });
    const v = judgeService(updating, [missing, task({ created: iso(T0 - 600) })], before, T0 + 3, opts);
    expect(v.verdict).toBe('failed');
    expect(v.unschedulable).toBeFalsy();
    expect(v.detail).toMatch(
      /^a new task cannot start: No such image: local\/missing:9 \(the image is not on the server/,
    );
    const denied = task({
      state: 'rejected',
      err: 'pull access denied for acme/app, repository does not exist',
      created: iso(T0 + 1),
    });
    expect(judgeService(svc(), [denied], undefined, T0 + 3, opts).detail).toMatch(/docker login/);
  });

  it("lists only this deploy's task errors, never an earlier release's", () => {
    const earlier = [
      task({
        state: 'failed',
        err: 'task: non-zero exit (3): v2 crashed',
        exit: 3,
        created: iso(T0 - 300),
        desired: 'shutdown',
      }),
      task({
        state: 'failed',
        err: 'task: non-zero exit (3): v2 crashed',
        exit: 3,
        created: iso(T0 - 290),
        desired: 'shutdown',
      }),
    ];
    const now = [
      task({
        state: 'failed',
        err: 'task: non-zero exit (1): v3 broken',
        exit: 1,
        created: iso(T0 + 2),
        desired: 'shutdown',
      }),
      task({
        state: 'failed',
        err: 'task: non-zero exit (1): v3 broken',
        exit: 1,
        created: iso(T0 + 8),
        desired: 'shutdown',
      }),
    ];
    const v = judgeService(svc(), [...earlier, ...now], undefined, T0 + 10, opts);
    expect(v.verdict).toBe('failed');
    expect(v.taskErrors).toEqual([
      'failed: task: non-zero exit (1): v3 broken (exit 1)',
      'failed: task: non-zero exit (1): v3 broken (exit 1)',
    ]);
  });
});

describe('deploy progress', () => {
  const verdict = (over: Partial<ServiceVerdict>): ServiceVerdict => ({
    name: 'shop_web',
    verdict: 'pending',
    running: 0,
    desired: 1,
    image: 'x:1',
    detail: '0/1 tasks running',
    taskErrors: [],
    ...over,
  });

  it('says each service by its short name, its replicas and its newest task while it is not there yet', () => {
    expect(
      convergeMessage('shop', [
        verdict({ newestTask: 'preparing' }),
        verdict({ name: 'shop_db', verdict: 'converged', running: 1 }),
      ]),
    ).toBe('web 0/1 → 1/1 (task preparing), db 1/1');
    expect(convergeMessage('shop', [verdict({ desired: 0, detail: 'not created yet' })])).toBe('web (not created yet)');
    expect(waitPhase([verdict({ newestTask: 'preparing' })])).toBe('wait');
    expect(waitPhase([verdict({ newestTask: 'starting' }), verdict({ verdict: 'converged' })])).toBe('health');
  });

  it('reports each phase once, as the step "<phase> <stack>", within the stack\'s share of the percent', () => {
    const seen: JobProgress[] = [];
    const p = stackProgress((x) => seen.push(x), 'shop', 10, 50, 2);
    p.phase('upload', 'release abc');
    p.phase('wait', 'web 0/1 → 1/1 (task preparing)');
    p.phase('wait', 'web 0/1 → 1/1 (task preparing)');
    p.phase('health', 'web 0/1 → 1/1 (task starting)');
    p.phase('rollback', 'to release def');
    expect(seen).toEqual([
      { step: 'upload shop', message: 'release abc', percent: 14, steps_total: 2 },
      { step: 'wait shop', message: 'web 0/1 → 1/1 (task preparing)', percent: 22, steps_total: 2 },
      { step: 'health shop', message: 'web 0/1 → 1/1 (task starting)', percent: 34, steps_total: 2 },
      { step: 'rollback shop', message: 'to release def', percent: 46, steps_total: 2 },
    ]);
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
