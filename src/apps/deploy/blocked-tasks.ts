/**
 * Tasks that waiting will not help: the scheduler finds no node for them ("no suitable node (host-mode port already
 * in use on 1 node)", "... insufficient resources ...", "... scheduling constraints not satisfied ..."), or the
 * engine cannot get their image ("No such image" under --resolve-image never, "pull access denied"). Swarm keeps
 * such a task Pending, or retries it, for as long as anyone waits, and an update stays "updating": the deploy must
 * notice and fail with the scheduler's own words instead of waiting out DECKHAND_DEPLOY_WAIT_S. Pure.
 */
/** One Swarm task as stackStatusScript reports it (converge.ts reads these lines). */
export interface TaskState {
  readonly id: string;
  readonly service: string;
  readonly created: string;
  readonly desired: string;
  readonly state: string;
  readonly err: string;
  readonly message: string;
  readonly exit: number | null;
}

/** How long a task may stay unschedulable before the deploy gives up: resources freed by a stopping task come back sooner. */
export const BLOCKED_GRACE_S = 20;

const NO_NODE = /^no suitable node\b/i;
const NO_IMAGE = /No such image|pull access denied|manifest unknown|repository does not exist/i;

export interface Blocked {
  /** The scheduler's or the engine's message, as Swarm recorded it on the task. */
  readonly message: string;
  /** True when the task is waiting for a node (an update then stays "updating" forever). */
  readonly pending: boolean;
  readonly detail: string;
}

/**
 * The newest task of this deploy that cannot run, if any. `tasks` are one service's tasks created by this deploy,
 * newest first; `now` is the server's clock in epoch seconds.
 */
export function blockedTask(tasks: readonly TaskState[], now: number, graceS = BLOCKED_GRACE_S): Blocked | undefined {
  for (const t of tasks) {
    if (t.desired === 'running' && t.state === 'pending' && NO_NODE.test(t.err)) {
      const waited = Math.max(0, Math.round(now - Date.parse(t.created) / 1000));
      if (waited < graceS) continue;
      return {
        message: t.err,
        pending: true,
        detail: `a new task cannot be scheduled: ${t.err}, for ${waited} s`,
      };
    }
    if ((t.state === 'rejected' || t.state === 'failed') && NO_IMAGE.test(t.err)) {
      const what = /No such image/i.test(t.err)
        ? 'the image is not on the server and was not pulled (DECKHAND_RESOLVE_IMAGE=never never pulls): load it there or push it to a registry'
        : 'check the image name and tag, and run docker login on the server if its registry is private';
      return { message: t.err, pending: false, detail: `a new task cannot start: ${t.err} (${what})` };
    }
  }
  return undefined;
}
