import type { JobService } from '../jobs/index.js';
import type { AgainKind, RemoteBashService } from '../remote-bash/index.js';
import type { Asker, SafetyService } from '../safety/index.js';
import type { DashboardActor, GatedOutcome, JobActions } from './sources.js';

/** The person at the dashboard confirmed on the page what policy asks about: they are the person it asks. */
const CONFIRMED: Asker = { ask: async () => ({ action: 'accept', content: { approve: true } }) };

/**
 * Run again and retry, as the remote-bash tool runs a command: the feature's service makes the call (same command,
 * servers and options; env values read back while they are kept) and the safety gate admits it with the dashboard's
 * person as the caller, so policy, approval and the audit log apply exactly as to an assistant's call. The new job
 * runs in the background and names the job it repeats.
 */
export function rerunActions(o: {
  readonly jobs: Pick<JobService, 'get'>;
  readonly remoteBash: Pick<RemoteBashService, 'again' | 'targetNames' | 'start'>;
  readonly safety: Pick<SafetyService, 'admit'>;
}): Required<Pick<JobActions, 'runAgain' | 'retry'>> {
  async function again(kind: AgainKind, id: string, by: DashboardActor, confirmed: boolean): Promise<GatedOutcome> {
    const job = await o.jobs.get(id);
    const input = await o.remoteBash.again(job, kind);
    const names = await o.remoteBash.targetNames(input);
    const envKeys = Object.keys(input.env ?? {}).sort();
    const admission = await o.safety.admit({
      tool: 'remote-bash',
      targets: names.map((name) => ({ server: name, action: { kind: 'command', command: input.command } })),
      // Env values are secrets: the log keeps their names only.
      args: {
        ...input,
        env: input.env ? Object.fromEntries(envKeys.map((k) => [k, '***'])) : undefined,
        mode: 'background',
        from: 'dashboard',
      },
      secrets: Object.values(input.env ?? {}),
      key: { command: input.command, cwd: input.cwd ?? null, env: envKeys, servers: names, again: kind, of: id },
      command: input.command,
      startsJob: true,
      caller: { via: 'dashboard', person: by.person, token: { name: by.token } },
      asker: confirmed ? CONFIRMED : undefined,
    });
    if (!admission.ok) {
      const r = admission.refusal;
      return { kind: 'refused', code: r.code, message: r.message, hint: r.hint, approval: r.approval };
    }
    const started = await admission.run(() =>
      o.remoteBash.start({ ...input, mode: 'background', id: admission.jobId }),
    );
    return { kind: 'started', job: started };
  }
  return {
    runAgain: (id, by, confirmed) => again('run-again', id, by, confirmed),
    retry: (id, by, confirmed) => again('retry', id, by, confirmed),
  };
}
