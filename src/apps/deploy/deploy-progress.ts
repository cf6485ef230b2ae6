/**
 * A deploy's progress as it happens, for the job's progress (step, message, percent) and so for the progress
 * notifications of a call that waits on it: `upload whoami`, `wait whoami: whoami 0/1 → 1/1 (task preparing)`,
 * `health whoami: ... (task starting)`, `probe whoami`, `rollback whoami: ...`.
 */
import type { JobProgress } from '../../jobs/types.js';
import type { ServiceVerdict } from './converge.js';

export type DeployPhase = 'lock' | 'hooks' | 'upload' | 'deploy' | 'wait' | 'health' | 'probe' | 'record' | 'rollback';

/** Where each phase starts within one stack's share of the job's percent. */
const AT: Readonly<Record<DeployPhase, number>> = {
  lock: 0,
  hooks: 0.05,
  upload: 0.1,
  deploy: 0.2,
  wait: 0.3,
  health: 0.6,
  probe: 0.85,
  rollback: 0.9,
  record: 0.95,
};

export interface StackProgress {
  /** Reports a phase and what it is doing; the same phase and message twice is reported once. */
  phase(phase: DeployPhase, message: string): void;
}

export const NO_PROGRESS: StackProgress = { phase: () => undefined };

/** One stack's phases as job progress, within `[from, to]` percent of the whole job. */
export function stackProgress(
  report: (p: JobProgress) => void,
  stack: string,
  from: number,
  to: number,
  stepsTotal: number,
): StackProgress {
  let last = '';
  return {
    phase(phase, message) {
      const key = `${phase}\u0000${message}`;
      if (key === last) return;
      last = key;
      const percent = Math.round(from + (to - from) * AT[phase]);
      report({ step: `${phase} ${stack}`, message, percent, steps_total: stepsTotal });
    },
  };
}

/** "web 0/1 → 1/1 (task starting), db 1/1": each service by its short name, with its newest task's state until it runs. */
export function convergeMessage(stack: string, verdicts: readonly ServiceVerdict[]): string {
  return verdicts
    .map((v) => {
      const name = v.name.startsWith(`${stack}_`) ? v.name.slice(stack.length + 1) : v.name;
      if (v.verdict === 'converged') return `${name} ${v.running}/${v.desired}`;
      if (v.desired === 0) return `${name} (${v.detail})`;
      const task = v.newestTask ? ` (task ${v.newestTask})` : ` (${v.detail})`;
      return `${name} ${v.running}/${v.desired} → ${v.desired}/${v.desired}${task}`;
    })
    .join(', ');
}

/** "health" once every pending service's newest task is up and only its health check is still running. */
export function waitPhase(verdicts: readonly ServiceVerdict[]): 'wait' | 'health' {
  const pending = verdicts.filter((v) => v.verdict !== 'converged');
  return pending.length > 0 && pending.every((v) => v.newestTask === 'starting') ? 'health' : 'wait';
}
