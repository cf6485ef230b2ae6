import {
  isMoving,
  judgeStack,
  parseStackState,
  type ServiceBefore,
  type ServiceVerdict,
  type StackState,
} from './converge.js';
import type { RemoteShell } from '../../ssh/remote-shell.js';
import { readReleaseScript, stackDir, stackLeftoversScript, stackStatusScript } from './scripts.js';
import type { ReleaseRecord } from './types.js';
import { pause } from '../../timing.js';

/** What the converge loop and the recovery steps share. */
export interface StackWatch {
  readonly runner: RemoteShell;
  readonly signal: AbortSignal;
  readonly note: (text: string) => void;
  readonly pollMs: number;
  /** Each poll's verdicts while waiting for convergence, for progress. */
  readonly onVerdicts?: (verdicts: readonly ServiceVerdict[]) => void;
}

export interface CurrentRelease {
  readonly record: ReleaseRecord | null;
  /** The directory `current` points to, if any. */
  readonly dir: string | null;
}

export async function readCurrent(runner: RemoteShell, stack: string): Promise<CurrentRelease> {
  const r = await runner.must(readReleaseScript(stack), `reading the release record of ${stack}`);
  let record: ReleaseRecord | null = null;
  let dir: string | null = null;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('{')) {
      try {
        record = JSON.parse(line) as ReleaseRecord;
      } catch {
        record = null;
      }
    } else if (line.startsWith('@@current ')) {
      const rel = line.slice('@@current '.length).trim();
      dir = rel ? `${stackDir(stack)}/${rel}` : null;
    }
  }
  return { record, dir };
}

export async function stackStatus(runner: RemoteShell, stack: string): Promise<StackState> {
  const r = await runner.must(stackStatusScript(stack), `reading the state of stack ${stack}`, { timeoutMs: 60_000 });
  return parseStackState(r.stdout);
}

/** Every named service exists and runs all its replicas, with no update or rollback under way. */
export function healthyNow(state: StackState, fullNames: readonly string[]): boolean {
  return (
    verdictsNow(state, fullNames).every((v) => v.verdict === 'converged') && state.services.every((s) => !isMoving(s))
  );
}

/** Each named service as it runs now, judged without reference to a deploy. */
export function verdictsNow(state: StackState, fullNames: readonly string[]): ServiceVerdict[] {
  return judgeStack(state, fullNames, new Map(), {
    deployedAt: state.now + 10,
    updateGraceS: 0,
    maxFailedTasks: Number.MAX_SAFE_INTEGER,
  });
}

export type ConvergeResult =
  | { readonly ok: true; readonly verdicts: readonly ServiceVerdict[] }
  | { readonly ok: false; readonly failed: ServiceVerdict; readonly timedOut: boolean };

/**
 * Polls the stack until every service has converged on what was just deployed, one fails (an update paused or
 * rolled back, or new tasks keep failing), or `limitS` seconds pass on the server's clock. Logs each change.
 */
export async function waitConverged(
  w: StackWatch,
  stack: string,
  fullNames: readonly string[],
  before: ReadonlyMap<string, ServiceBefore>,
  deployedAt: number,
  limitS: number,
): Promise<ConvergeResult> {
  const said = new Map<string, string>();
  for (;;) {
    w.signal.throwIfAborted();
    const state = await stackStatus(w.runner, stack);
    const verdicts = judgeStack(state, fullNames, before, { deployedAt, updateGraceS: 5, maxFailedTasks: 2 });
    for (const v of verdicts) {
      const line = `${v.name}: ${v.detail}${v.taskErrors[0] && v.verdict !== 'converged' ? ` (last task error: ${v.taskErrors[0]})` : ''}`;
      if (said.get(v.name) !== line) w.note(line);
      said.set(v.name, line);
    }
    w.onVerdicts?.(verdicts);
    const failed = verdicts.find((v) => v.verdict === 'failed');
    if (failed) return { ok: false, failed, timedOut: false };
    if (verdicts.every((v) => v.verdict === 'converged')) return { ok: true, verdicts };
    if (state.now - deployedAt > limitS) {
      const stuck = verdicts.find((v) => v.verdict !== 'converged') as ServiceVerdict;
      return { ok: false, failed: stuck, timedOut: true };
    }
    await pause(w.pollMs, w.signal);
  }
}

/** Waits (up to limitS) until Swarm is not updating or rolling back any service of the stack. */
export async function waitSettled(w: StackWatch, stack: string, limitS: number): Promise<StackState> {
  const deadline = Date.now() + limitS * 1000;
  let said = '';
  for (;;) {
    const state = await stackStatus(w.runner, stack);
    const moving = state.services.filter(isMoving);
    if (moving.length === 0 || Date.now() > deadline) return state;
    const line = `waiting for Swarm to finish ${moving.map((s) => `${s.name} (${s.update?.State ?? ''})`).join(', ')}`;
    if (line !== said) w.note(line);
    said = line;
    await pause(Math.max(w.pollMs, 2000), w.signal);
    w.signal.throwIfAborted();
  }
}

export interface Leftovers {
  readonly services: number;
  readonly containers: number;
  readonly networks: number;
  readonly volumes: readonly string[];
}

export async function leftovers(runner: RemoteShell, stack: string): Promise<Leftovers> {
  const r = await runner.must(stackLeftoversScript(stack), `listing what is left of ${stack}`);
  const num = (k: string) => Number(new RegExp(`${k}=(\\d+)`).exec(r.stdout)?.[1] ?? 0);
  const vols = /volumes=(\S*)/.exec(r.stdout)?.[1] ?? '';
  return {
    services: num('services'),
    containers: num('containers'),
    networks: num('networks'),
    volumes: vols.split(',').filter(Boolean),
  };
}

/** After `docker stack rm`: waits until its services, task containers and networks are gone. */
export async function waitStackGone(w: StackWatch, stack: string, limitS: number): Promise<Leftovers> {
  const deadline = Date.now() + limitS * 1000;
  let said = '';
  for (;;) {
    w.signal.throwIfAborted();
    const left = await leftovers(w.runner, stack);
    if (left.services + left.containers + left.networks === 0 || Date.now() > deadline) return left;
    const line = `${stack}: ${left.services} services, ${left.containers} containers, ${left.networks} networks left`;
    if (line !== said) w.note(line);
    said = line;
    await pause(w.pollMs, w.signal);
  }
}
