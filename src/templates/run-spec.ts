import type { StoredTemplate } from '../jobs/store/contract.js';
import type { QueuePolicies, RemoteBashService, RunMode } from '../remote-bash/index.js';
import { resolveParams } from './definition.js';
import { definitionOf } from './views.js';

export interface RunInput {
  readonly params?: Readonly<Record<string, string>> | undefined;
  /** Overrides of the template's run defaults for this run (start time, priority). */
  readonly queue?: QueuePolicies | undefined;
  readonly mode?: RunMode | undefined;
  /** The run's job id, when a gate made it beforehand (the audit entry names it). */
  readonly id?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Why a run starts: a person or tool (manual), or a schedule's slot, whose key makes the slot start once. */
export interface RunOrigin {
  readonly trigger: 'manual' | 'schedule';
  readonly key?: string;
}

/**
 * The remote-bash start of one run of a template version: its command and target, the version's env (from the
 * secret store) with the run's parameters over it, its run defaults under the run's own queue choices, and the
 * template, version and trigger the job records.
 */
export function runSpec(
  t: StoredTemplate,
  storedEnv: Readonly<Record<string, string>>,
  input: RunInput,
  origin: RunOrigin,
): Parameters<RemoteBashService['start']>[0] {
  const def = definitionOf(t);
  const params = resolveParams(def.params, input.params ?? {});
  const env = { ...storedEnv, ...params };
  return {
    ...def.target,
    command: def.command,
    cwd: def.cwd,
    timeout_s: def.timeout_s,
    sudo: def.sudo,
    fresh_shell: def.fresh_shell,
    env: Object.keys(env).length > 0 ? env : undefined,
    mode: input.mode ?? 'background',
    queue: { ...def.run, ...input.queue },
    origin: {
      template: { id: t.id, version: t.version, trigger: origin.trigger },
      params,
      ...(origin.key !== undefined ? { unique_key: origin.key } : {}),
    },
    id: input.id,
    signal: input.signal,
  };
}
