/**
 * Reading a stack's state from `docker service inspect` and task inspect lines (see stackStatusScript), and judging
 * whether each service has converged on the release just deployed. Pure: tests feed it recorded states.
 */
import { blockedTask, type TaskState } from './blocked-tasks.js';

export interface ServiceState {
  readonly id: string;
  readonly name: string;
  readonly version: number;
  /** null for global services. */
  readonly replicas: number | null;
  readonly image: string;
  readonly update: { State?: string; StartedAt?: string; CompletedAt?: string; Message?: string } | null;
}

export interface StackState {
  readonly services: readonly ServiceState[];
  readonly tasks: readonly TaskState[];
  /** The server's clock, epoch seconds. */
  readonly now: number;
}

/** What a service looked like before `docker stack deploy`, to tell this deploy's update from an older one. */
export interface ServiceBefore {
  readonly version: number;
  readonly updateStartedAt: string | undefined;
}

export type Verdict = 'converged' | 'pending' | 'failed';

export interface ServiceVerdict {
  readonly name: string;
  readonly verdict: Verdict;
  readonly running: number;
  readonly desired: number;
  readonly image: string;
  /** Why it is pending or failed, for the log. */
  readonly detail: string;
  /** The newest task errors of this deploy's tasks, newest first ("failed: task: non-zero exit (1)"). */
  readonly taskErrors: readonly string[];
  /** Set when a task of this deploy waits for a node that will never come: Swarm's update then never ends. */
  readonly unschedulable?: boolean;
  /** The newest task's state ("preparing", "starting" while its health check runs), for progress. */
  readonly newestTask?: string;
}

const FAILED_UPDATE = new Set(['paused', 'rollback_started', 'rollback_paused', 'rollback_completed']);
const FAILED_TASK = new Set(['failed', 'rejected']);

export function parseStackState(stdout: string): StackState {
  const services: ServiceState[] = [];
  const tasks: TaskState[] = [];
  let section = '';
  let now = Math.floor(Date.now() / 1000);
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('@@now ')) {
      now = Number(line.slice(6)) || now;
      continue;
    }
    if (line.startsWith('@@')) {
      section = line;
      continue;
    }
    try {
      if (section === '@@services') services.push(JSON.parse(line) as ServiceState);
      else if (section === '@@tasks') tasks.push(JSON.parse(line) as TaskState);
    } catch {
      // A line docker printed that is not ours (a warning): not state.
    }
  }
  return { services, tasks, now };
}

export function snapshot(state: StackState): Map<string, ServiceBefore> {
  return new Map(
    state.services.map((s) => [s.name, { version: s.version, updateStartedAt: s.update?.StartedAt ?? undefined }]),
  );
}

export interface JudgeOptions {
  /** Server epoch seconds when `docker stack deploy` started. */
  readonly deployedAt: number;
  /** A changed service whose update has not started after this many seconds changed nothing its tasks run. */
  readonly updateGraceS: number;
  /** New tasks that failed since the deploy before the service counts as failing (fresh services have no rollback). */
  readonly maxFailedTasks: number;
  /** How long a new task may wait for a node before the deploy fails (see blockedTask). */
  readonly blockedGraceS?: number;
}

export function judgeService(
  s: ServiceState,
  tasks: readonly TaskState[],
  before: ServiceBefore | undefined,
  now: number,
  o: JudgeOptions,
): ServiceVerdict {
  const own = tasks.filter((t) => t.service === s.id).sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
  const active = own.filter((t) => t.desired === 'running');
  const running = active.filter((t) => t.state === 'running').length;
  const desired = s.replicas ?? active.length;
  // Only this deploy's tasks speak for it: an earlier release's failures (rolled back since) are not its errors.
  const mine = own.filter((t) => Date.parse(t.created) / 1000 >= o.deployedAt - 1);
  const taskErrors = mine
    .filter((t) => t.err || FAILED_TASK.has(t.state))
    .slice(0, 5)
    .map((t) => `${t.state}: ${t.err || t.message}${t.exit !== null && t.exit !== 0 ? ` (exit ${t.exit})` : ''}`);
  const failedSince = mine.filter((t) => FAILED_TASK.has(t.state)).length;
  const newestTask = (active[0] ?? own[0])?.state;
  const base = { name: s.name, running, desired, image: s.image, taskErrors, ...(newestTask ? { newestTask } : {}) };
  const settled = running === desired && active.every((t) => t.state === 'running');

  const blocked = blockedTask(mine, now, o.blockedGraceS);
  if (blocked) return { ...base, verdict: 'failed', detail: blocked.detail, unschedulable: blocked.pending };
  const fresh = s.update?.StartedAt !== undefined && s.update.StartedAt !== before?.updateStartedAt;
  const state = s.update?.State ?? '';
  if (fresh && FAILED_UPDATE.has(state)) {
    return {
      ...base,
      verdict: 'failed',
      detail: `update ${state.replace('_', ' ')}: ${s.update?.Message ?? ''}`.trim(),
    };
  }
  if (fresh && state === 'updating') return { ...base, verdict: 'pending', detail: 'update in progress' };
  if (!settled && failedSince >= o.maxFailedTasks) {
    return { ...base, verdict: 'failed', detail: `${failedSince} new tasks failed and ${running}/${desired} run` };
  }
  const changed = before !== undefined && before.version !== s.version;
  if (changed && !fresh && now - o.deployedAt < o.updateGraceS) {
    return { ...base, verdict: 'pending', detail: 'waiting for the update to start' };
  }
  if (!settled) return { ...base, verdict: 'pending', detail: `${running}/${desired} tasks running` };
  return { ...base, verdict: 'converged', detail: `${running}/${desired} running` };
}

/** One verdict per service the release names; a service missing from the stack is pending (not created yet). */
export function judgeStack(
  state: StackState,
  expected: readonly string[],
  before: ReadonlyMap<string, ServiceBefore>,
  o: JudgeOptions,
): ServiceVerdict[] {
  return expected.map((name) => {
    const s = state.services.find((x) => x.name === name);
    if (!s)
      return { name, verdict: 'pending', running: 0, desired: 0, image: '', detail: 'not created yet', taskErrors: [] };
    return judgeService(s, state.tasks, before.get(name), state.now, o);
  });
}

/** A service is still moving when Swarm updates or rolls it back: wait for that to end before deploying over it. */
export function isMoving(s: ServiceState): boolean {
  const st = s.update?.State;
  return st === 'updating' || st === 'rollback_started';
}
